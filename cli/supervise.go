package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"nook/container"
	"nook/headstart"
	"nook/initbin"
	"nook/lifecycle"
	"nook/logs"
	"nook/messages"
	"nook/rootfs"
	"nook/spec"
	"nook/state"
	"nook/supervisor"
)

// supervised is the detached container this process supervises: it holds
// the container's log, its status, its control socket and (through the
// runs it makes) its network and published ports, for as long as the
// container lives, restarts included.
type supervised struct {
	ls    *lifecycle.Store
	ctr   lifecycle.Container
	log   *logs.Writer
	out   *os.File // the container's stdout and stderr: pipes into the log
	errw  *os.File
	relay sync.WaitGroup
	ready *os.File
	ctl   *supervisor.Server

	mu      sync.Mutex
	st      lifecycle.Status
	pidfd   int
	done    chan struct{}      // closed when the current run has ended
	running *container.Running // while the command runs: for exec
	runCfg  *messages.Config
	mounts  []lifecycle.Mount
	// front, until the first run, has the command that started this
	// supervisor write the container's gid map.
	front *headstart.GIDMapper
}

// supervise is the supervisor's main: of container id, or with
// headstart.Pending of the one whose record the command that started it
// writes on headstart.RecordFD once it is made (nothing: that command failed and says so).
func supervise(id string) error {
	go warmProcessStart()
	if os.Getenv(headstart.ProgramEnv) == strconv.Itoa(headstart.ProgramFD) {
		initbin.Inherit(headstart.ProgramFD, headstart.ProgramFD+1)
	}
	os.Unsetenv(headstart.ProgramEnv)
	ls, err := openLifecycle()
	if err != nil {
		return err
	}
	if id != headstart.Pending {
		ctr, err := ls.Get(id)
		if err != nil {
			return fmt.Errorf("container %s: %w", id, err)
		}
		return superviseRecorded(ls, ctr, nil)
	}
	ctr, front, ok := handedRecord(ls)
	if !ok {
		return nil
	}
	return superviseRecorded(ls, ctr, front)
}

// handed is what the front command writes on headstart.RecordFD: the record it just
// made, so that the supervisor need not read it back.
type handed struct {
	Config lifecycle.Config
	Status lifecycle.Status
}

// handedRecord reads the record the front command hands over; none (EOF)
// means that command failed and says so itself. The rest of the pipe
// carries the front command's answers (headstart.GIDMapper).
func handedRecord(ls *lifecycle.Store) (lifecycle.Container, *bufio.Reader, bool) {
	pipe := os.NewFile(headstart.RecordFD, "container-record")
	r := bufio.NewReader(pipe)
	line, err := r.ReadBytes('\n')
	var h handed
	if err != nil || json.Unmarshal(line, &h) != nil {
		pipe.Close()
		return lifecycle.Container{}, nil, false
	}
	return ls.Known(h.Config, h.Status), r, true
}

// superviseRecorded is a supervisor's whole command: the run's flags come
// from the container's record, as the front command parsed them (kong's
// model of run is the larger part of a start, and the supervisor's start
// is on run -d's critical path).
func superviseRecorded(ls *lifecycle.Store, ctr lifecycle.Container, front *bufio.Reader) error {
	c := &runCmd{}
	if err := json.Unmarshal(ctr.Run, c); err != nil || len(ctr.Run) == 0 {
		return fmt.Errorf("container %s: its record has no run flags (%v): remove it and run it again", ctr.Name, err)
	}
	return c.supervise(&globals{Stdout: os.Stdout, Stderr: os.Stderr}, ls, ctr, front)
}

// supervise runs container id (recorded by detach or create) until it is
// done with, restarting it as its policy says.
func (c *runCmd) supervise(g *globals, ls *lifecycle.Store, ctr lifecycle.Container, front *bufio.Reader) error {
	os.Unsetenv(headstart.Env)
	s, err := newSupervised(ls, ctr)
	if err != nil {
		return err
	}
	if front != nil {
		s.front = headstart.NewGIDMapper(s.ready, front)
	}
	defer s.close()
	c.Rm = false // the supervisor removes the container, once, at the end
	s.mounts = mountsOf(&c.isolation)
	g.sup = s
	for {
		err := c.runContainer(g)
		code := exitCode(err)
		if !s.ran(err) {
			s.exited(code, err)
			return err
		}
		if err != nil && code == exitFailed {
			fmt.Fprintf(os.Stderr, "nook: %s\n", errorText(err))
		}
		if !s.exited(code, err) {
			break
		}
		time.Sleep(s.backoff())
	}
	if s.ctr.AutoRemove {
		return removeContainer(g, s.ls, s.ctr)
	}
	return nil
}

func newSupervised(ls *lifecycle.Store, ctr lifecycle.Container) (*supervised, error) {
	id := ctr.ID
	var err error
	s := &supervised{ls: ls, ctr: ctr, st: ctr.Status, pidfd: -1, ready: os.NewFile(headstart.ReadyFD, "ready")}
	s.st.Stopped, s.st.Error = false, ""
	if s.log, err = logs.Open(ls.LogPath(id), ctr.LogMaxSize); err != nil {
		return nil, err
	}
	if s.out, err = s.pipeTo("stdout"); err == nil {
		s.errw, err = s.pipeTo("stderr")
	}
	if err == nil {
		s.ctl, err = supervisor.Listen(controlPath(id), s)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// controlPath is the container's control socket, in the user's private
// runtime directory, named by the short id: a socket's path has at most
// 107 bytes, and a runtime directory can be long.
func controlPath(id string) string { return state.Dir() + "/ctl/" + shortID(id) }

// pipeTo makes the pipe whose write end the container gets as stream's
// descriptor, its read end copied into the log.
func (s *supervised) pipeTo(stream string) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.relay.Add(1)
	go func() {
		defer s.relay.Done()
		defer r.Close()
		_, _ = io.Copy(s.log.Stream(stream), r)
	}()
	return w, nil
}

func (s *supervised) close() {
	if s.ctl != nil {
		s.ctl.Close()
	}
	if s.out != nil {
		s.out.Close()
	}
	if s.errw != nil {
		s.errw.Close()
		if s.everStarted() {
			// Our stderr is that pipe too: the log must see its end.
			_ = dup2(nullFile(), 2)
		}
	}
	s.relay.Wait()
	if s.log != nil {
		s.log.Close()
	}
}

func dup2(f *os.File, fd int) error { return unix.Dup2(int(f.Fd()), fd) }

func nullFile() *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return os.Stdin
	}
	return f
}

// attach makes run r the supervised container's: no stdin, output to the
// log, an agent (for exec), and the status written as it starts.
func (s *supervised) attach(r *container.Run, pp *publishedPorts) {
	r.Stdin, r.Stdout, r.Stderr = nil, s.out, s.errw
	r.Agent = true
	if s.front != nil {
		// The front command writes the gid map of the first run only:
		// it is gone once told the container runs.
		r.MapGIDs, s.front = s.front.Map, nil
	}
	r.OnRunning = func(c *container.Running) { s.onRunning(c, r.Config) }
	prev := r.Started
	r.Started = func(pid int) func() {
		done := func() {}
		if prev != nil {
			done = prev(pid)
		}
		s.started(pid, pp)
		return done
	}
}

func (s *supervised) started(pid int, pp *publishedPorts) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fd, err := unix.PidfdOpen(pid, 0)
	if err == nil {
		s.pidfd = fd
	}
	s.done = make(chan struct{})
	self, _ := lifecycle.Self(controlPath(s.ctr.ID))
	s.st = lifecycle.Status{State: lifecycle.Running, Pid: pid, StartedAt: time.Now().UTC(), Restarts: s.st.Restarts,
		Supervisor: self, Ports: pp.lifecycle(), Mounts: s.mounts}
	if err := s.ls.WriteStatus(s.ctr.ID, s.st); err != nil {
		fmt.Fprintf(os.Stderr, "nook: %v\n", err)
	}
}

// ran tells whether a run that returned err ran its command. The command
// may have exited before OnRunning's goroutine told us it ran: then the
// command's own status (not nook's failure to start it) says so, and the
// command that started us is told now.
func (s *supervised) ran(err error) bool {
	if s.everStarted() {
		return true
	}
	var ce *container.Error
	s.mu.Lock()
	started := s.st.State == lifecycle.Running
	s.mu.Unlock()
	if !started || errors.As(err, &ce) {
		return false
	}
	s.onRunning(nil, nil)
	return true
}

func (s *supervised) everStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready == nil
}

// exited records the end of a run and reports whether to restart.
func (s *supervised) exited(code int, err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pidfd >= 0 {
		unix.Close(s.pidfd)
		s.pidfd = -1
	}
	s.running, s.runCfg = nil, nil
	defer s.runEnded()
	s.st.State, s.st.Pid, s.st.ExitCode, s.st.FinishedAt = lifecycle.Exited, 0, code, time.Now().UTC()
	s.st.Supervisor = nil
	if err != nil && code == exitFailed {
		s.st.Error = errorText(err)
	}
	restart := s.restarts(code)
	if restart {
		s.st.Restarts++
	}
	if err := s.ls.WriteStatus(s.ctr.ID, s.st); err != nil {
		fmt.Fprintf(os.Stderr, "nook: %v\n", err)
	}
	return restart
}

// runEnded tells those waiting for the run's end; s.mu is held.
func (s *supervised) runEnded() {
	if s.done != nil {
		close(s.done)
		s.done = nil
	}
}

// restarts applies the restart policy; s.mu is held.
func (s *supervised) restarts(code int) bool {
	p := s.ctr.Restart
	switch {
	case s.st.Stopped:
		return false
	case p.Name == "always" || p.Name == "unless-stopped":
		return true
	case p.Name == "on-failure":
		return code != 0 && (p.MaxRetries == 0 || s.st.Restarts < p.MaxRetries)
	}
	return false
}

// backoff doubles from 100 ms up to 10 s, as Docker's restarts do.
func (s *supervised) backoff() time.Duration {
	s.mu.Lock()
	n := s.st.Restarts
	s.mu.Unlock()
	d := 100 * time.Millisecond
	for i := 1; i < n && d < 10*time.Second; i++ {
		d *= 2
	}
	return min(d, 10*time.Second)
}

// Signal sends sig to the container's PID 1 (supervisor.Handler).
func (s *supervised) Signal(sig syscall.Signal, stop, wait bool) error {
	s.mu.Lock()
	if stop && !s.st.Stopped {
		s.st.Stopped = true
		_ = s.ls.WriteStatus(s.ctr.ID, s.st)
	}
	done := s.done
	if s.pidfd < 0 {
		s.mu.Unlock()
		return fmt.Errorf("container %s is not running", s.ctr.Name)
	}
	err := unix.PidfdSendSignal(s.pidfd, sig, nil, 0)
	s.mu.Unlock()
	if err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal container %s: %w", s.ctr.Name, err)
	}
	if wait {
		<-done
	}
	return nil
}

// imageKnown records what the container takes from its image once the
// image is found: its digest, stop signal and labels (the run's own
// labels win), for stop, inspect and ps --filter.
func (s *supervised) imageKnown(digest string, rec rootfs.Record) {
	change := func(c *lifecycle.Config) {
		c.ImageID, c.StopSignal = digest, rec.StopSignal
		for k, v := range rec.Labels {
			if _, ok := c.Labels[k]; !ok {
				if c.Labels == nil {
					c.Labels = map[string]string{}
				}
				c.Labels[k] = v
			}
		}
	}
	if err := s.ls.UpdateConfig(s.ctr.ID, change); err != nil {
		fmt.Fprintf(os.Stderr, "nook: %v\n", err)
	}
}

// mountsOf is the volumes and tmpfs mounts the flags ask for (they were
// checked when the run was first made).
func mountsOf(f *isolation) []lifecycle.Mount {
	var out []lifecycle.Mount
	for _, v := range f.Volume {
		if vol, err := spec.ParseVolume(v); err == nil {
			out = append(out, lifecycle.Mount{Type: "bind", Source: vol.Source, Destination: vol.Destination, RW: !vol.ReadOnly})
		}
	}
	for _, t := range f.Tmpfs {
		if m, err := spec.ParseTmpfs(t); err == nil {
			out = append(out, lifecycle.Mount{Type: "tmpfs", Destination: m.Destination, RW: true})
		}
	}
	return out
}

// exitCode is the status a run's error stands for.
func exitCode(err error) int {
	var ee exitError
	var ce *container.Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ce):
		return ce.Code
	}
	return exitFailed
}

func errorText(err error) string {
	var ce *container.Error
	if errors.As(err, &ce) {
		return ce.Msg
	}
	return err.Error()
}

// warmProcessStart makes the Go runtime check, once per process, that
// pidfds work, which it otherwise does inside the first os/exec start: a
// throwaway vfork child that, on two busy processors, can keep that start
// (here the id-map helper's, on the container's critical path) waiting
// for milliseconds. Run in a goroutine early on, it costs the start
// nothing.
func warmProcessStart() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Release()
	}
}
