package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"nook/initbin"
	"nook/lifecycle"
	"nook/logs"
	"nook/store"
)

// superviseEnv names the container a re-executed `nook run` supervises:
// the detached container's own process, which outlives the command that
// started it (as conmon does for podman).
const superviseEnv = "NOOK_SUPERVISE"

// programFD is where the supervisor finds the init program, and the
// next descriptor the pipe that says it is sealed, when programEnv
// names it.
const (
	programFD  = 5
	programEnv = "NOOK_INIT_FD"
)

// pendingID is superviseEnv's value for a supervisor started before its
// container is recorded: it reads the record from goFD.
const (
	pendingID = "-"
	goFD      = 4
)

// readyFD is the supervisor's end of the pipe that says the container runs.
const readyFD = 3

const defaultLogMax = 10 << 20

// openLifecycle opens the container records beside the image store.
func openLifecycle() (*lifecycle.Store, error) {
	root, err := store.DefaultRoot()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", root, err)
	}
	return lifecycle.Open(filepath.Join(root, "lifecycle"))
}

// resolveContainer opens the records and finds the container ref names.
func resolveContainer(ref string) (*lifecycle.Store, lifecycle.Container, error) {
	ls, err := openLifecycle()
	if err != nil {
		return nil, lifecycle.Container{}, err
	}
	ctr, err := ls.Resolve(ref)
	return ls, ctr, err
}

// recordContainer records cfg (create, run -d), naming it when unnamed.
func recordContainer(cfg lifecycle.Config) (*lifecycle.Store, error) {
	ls, err := openLifecycle()
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = ls.GenerateName()
	}
	return ls, ls.Create(cfg)
}

// detach records the container and starts its supervisor, then prints its
// id once it runs (or the reason it could not start). The supervisor is
// started first: its Go start, the longest step before the container's,
// runs while this command checks the flags and writes the record; it then
// gets the id on a pipe.
func (c *runCmd) detach(g *globals) error {
	sup, err := g.early.take()
	if sup == nil && err == nil {
		sup, err = spawnSupervisor(g, os.Args[1:], "")
	}
	if err != nil {
		return err
	}
	cfg, err := c.lifecycleConfig(sup.cmd.Dir)
	if err != nil {
		sup.abandon()
		return err
	}
	ls, err := recordContainer(cfg)
	if err != nil {
		sup.abandon()
		return err
	}
	ctr, err := ls.Get(cfg.ID)
	if err == nil {
		err = sup.begin(ctr)
	} else {
		sup.abandon()
	}
	if err != nil {
		// A container that never ran is not left behind, unless it must
		// restart (then its supervisor is what failed, and says so).
		if c, gerr := ls.Get(cfg.ID); gerr == nil && c.StartedAt.IsZero() {
			_ = ls.Remove(c)
		}
		return err
	}
	fmt.Fprintln(g.Stdout, cfg.ID)
	return nil
}

// lifecycleConfig is the record of the container c runs.
func (c *runCmd) lifecycleConfig(dir string) (lifecycle.Config, error) {
	if c.Name != "" {
		if err := lifecycle.ValidName(c.Name); err != nil {
			return lifecycle.Config{}, err
		}
	}
	restart, err := parseRestart(c.Restart)
	if err != nil {
		return lifecycle.Config{}, err
	}
	if c.Rm && restart.Name != "no" {
		return lifecycle.Config{}, fmt.Errorf("--rm and --restart=%s conflict: a container removed when it exits cannot be restarted", c.Restart)
	}
	maxSize, err := logMaxSize(c.LogOpt)
	if err != nil {
		return lifecycle.Config{}, err
	}
	if c.Interactive {
		return lifecycle.Config{}, usage("-d and -i conflict: a detached container has no stdin (use nook exec -i later)")
	}
	parsed, err := json.Marshal(c)
	if err != nil {
		return lifecycle.Config{}, fmt.Errorf("record the run's flags: %w", err)
	}
	cfg := lifecycle.Config{ID: lifecycle.NewID(), Name: c.Name, Created: time.Now().UTC(),
		Args: os.Args[1:], Run: parsed, Dir: dir, Env: os.Environ(), AutoRemove: c.Rm, Restart: restart, LogMaxSize: maxSize}
	if cfg.Labels, err = parseLabels(c.Label); err != nil {
		return lifecycle.Config{}, err
	}
	cmd := c.Command
	if len(cmd) > 0 && cmd[0] == "--" {
		cmd = cmd[1:]
	}
	if c.Rootfs != "" {
		cfg.Rootfs, cfg.Command = c.Rootfs, cmd
	} else if len(cmd) > 0 {
		cfg.Image, cfg.Command = cmd[0], cmd[1:]
	}
	return cfg, nil
}

func parseLabels(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, l := range flags {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return nil, fmt.Errorf("invalid --label %q: give KEY=VALUE or KEY", l)
		}
		out[k] = v
	}
	return out, nil
}

func parseRestart(s string) (lifecycle.RestartPolicy, error) {
	name, n, hasN := strings.Cut(s, ":")
	p := lifecycle.RestartPolicy{Name: name}
	switch {
	case (name == "no" || name == "always" || name == "unless-stopped") && !hasN:
		return p, nil
	case name == "on-failure" && !hasN:
		return p, nil
	case name == "on-failure":
		max, err := strconv.Atoi(n)
		if err == nil && max >= 0 {
			p.MaxRetries = max
			return p, nil
		}
	}
	return p, fmt.Errorf("invalid --restart %q: use no, on-failure, on-failure:N (N retries), always or unless-stopped", s)
}

func logMaxSize(opts []string) (int64, error) {
	size := int64(defaultLogMax)
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k != "max-size" {
			return 0, fmt.Errorf("invalid --log-opt %q: nook knows max-size=SIZE (e.g. max-size=10m)", o)
		}
		n, err := logs.ParseSize(v)
		if err != nil {
			return 0, err
		}
		size = n
	}
	return size, nil
}

// startSupervisor starts ctr's supervisor and returns once the container
// runs, or with the reason it does not.
func startSupervisor(g *globals, ls *lifecycle.Store, ctr lifecycle.Container) error {
	sup, err := spawnSupervisorIn(g, ctr.Args, ctr.Dir, ctr.Env, ctr.ID)
	if err != nil {
		return err
	}
	return sup.wait(ctr.Name)
}

// supervisorStart is a supervisor on its way: `nook` again with the run
// command line, in its own session, with nothing of the caller's but the
// working directory and environment recorded at create. Until the
// container runs its stderr is the caller's, so a failure to start reads
// exactly as it would in the foreground; it then says "ready" on fd 3.
type supervisorStart struct {
	taken  bool // by run -d, which sees to it
	ended  bool // given up or waited for
	cmd    *exec.Cmd
	ready  *os.File // read end of the supervisor's fd 3
	goW    *os.File // write end of its fd 4, when it waits for its id
	copied chan struct{}
}

// earlySupervisor starts the supervisor of a container not yet recorded
// when args look like run -d: its Go start, the longest step before the
// container's own, then runs while this command parses its flags and
// writes the record. A line that only looked so (a "-d" among the
// command's own arguments) costs a supervisor that exits unused.
func earlySupervisor(args []string) *supervisorStart {
	if len(args) == 0 || args[0] != "run" || !slices.ContainsFunc(args[1:], isDetachFlag) ||
		slices.Contains(args, "--help") || slices.Contains(args, "-h") {
		return nil
	}
	// The init program's copy, to hand over; it is written once the
	// command is past its flags and record (begin), not beside them and
	// the supervisor's start, which already share two processors here.
	initbin.Reserve()
	s, err := spawnSupervisor(&globals{Stderr: os.Stderr}, args, "")
	if err != nil {
		return nil // run -d tries again, and says why
	}
	return s
}

// isDetachFlag: -d, --detach, or a cluster of short flags with d.
func isDetachFlag(arg string) bool {
	switch {
	case arg == "-d" || arg == "--detach" || arg == "--detach=true":
		return true
	case len(arg) > 2 && arg[0] == '-' && arg[1] != '-':
		for _, r := range arg[1:] {
			if r < 'a' || r > 'z' {
				return false
			}
		}
		return strings.ContainsRune(arg, 'd')
	}
	return false
}

// take hands an early supervisor to run -d, which then owns it; nil
// when there is none.
func (s *supervisorStart) take() (*supervisorStart, error) {
	if s == nil {
		return nil, nil
	}
	s.taken = true
	return s, nil
}

// spawnSupervisor starts the supervisor of this command line, in the
// current directory and environment; with id "" it waits for the id on
// a pipe, which begin writes.
func spawnSupervisor(g *globals, args []string, id string) (*supervisorStart, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	return spawnSupervisorIn(g, args, dir, os.Environ(), id)
}

// spawnSupervisorIn starts the supervisor of container id (or of the one
// begin names) with args in dir and env.
func spawnSupervisorIn(g *globals, args []string, dir string, env []string, id string) (*supervisorStart, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find nook's own binary: %w", err)
	}
	var ends pipes
	defer ends.closeChildEnds()
	readyR, readyW, err := ends.childWrites()
	if err != nil {
		return nil, err
	}
	errR, errW, err := ends.childWrites()
	if err != nil {
		readyR.Close()
		return nil, err
	}
	s := &supervisorStart{ready: readyR, copied: make(chan struct{})}
	// By its path, not /proc/self/exe: the supervisor then shows as
	// "nook" in ps.
	s.cmd = exec.Command(self, args...)
	s.cmd.Dir, s.cmd.Env = dir, withoutEnv(env, superviseEnv)
	s.cmd.Stderr, s.cmd.ExtraFiles = errW, []*os.File{readyW, nil}
	if id == "" {
		var goR *os.File
		if goR, s.goW, err = ends.childReads(); err != nil {
			readyR.Close()
			errR.Close()
			return nil, err
		}
		s.cmd.ExtraFiles[1], id = goR, pendingID
	}
	s.cmd.Env = append(s.cmd.Env, superviseEnv+"="+id)
	if prog, sealed, ok := initbin.Handoff(); ok {
		// Its copy of the init program, which it would otherwise make
		// again, still being made (initbin.Inherit).
		s.cmd.ExtraFiles = append(s.cmd.ExtraFiles, prog, sealed)
		s.cmd.Env = append(s.cmd.Env, programEnv+"="+strconv.Itoa(programFD))
	}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := s.cmd.Start(); err != nil {
		readyR.Close()
		errR.Close()
		if s.goW != nil {
			s.goW.Close()
		}
		return nil, fmt.Errorf("start a container's supervisor: %w", err)
	}
	go func() {
		_, _ = io.Copy(g.Stderr, errR)
		errR.Close()
		close(s.copied)
	}()
	return s, nil
}

// begin hands a supervisor spawned without an id the record of the
// container it supervises, then waits for it as wait does.
func (s *supervisorStart) begin(ctr lifecycle.Container) error {
	initbin.Prefetch()
	line, err := json.Marshal(handed{Config: ctr.Config, Status: ctr.Status})
	if err == nil {
		_, err = s.goW.Write(append(line, '\n'))
	}
	s.goW.Close()
	if err != nil {
		s.abandon()
		return fmt.Errorf("start the supervisor of container %s: %w", ctr.Name, err)
	}
	return s.wait(ctr.Name)
}

// unclaimed abandons an early supervisor that run -d did not take (the
// command was something else after all, or did not parse).
func (s *supervisorStart) unclaimed() {
	if s != nil && !s.taken {
		s.abandon()
	}
}

// abandon ends a supervisor that was never given its container: it exits
// at its pipe's EOF.
func (s *supervisorStart) abandon() {
	if s.ended {
		return
	}
	s.ended = true
	if s.goW != nil {
		s.goW.Close()
	}
	s.ready.Close()
	_ = s.cmd.Wait()
	<-s.copied
}

// wait returns once the container runs, or with the reason it does not.
func (s *supervisorStart) wait(name string) error {
	s.ended = true
	defer s.ready.Close()
	line, _ := bufio.NewReader(s.ready).ReadString('\n')
	if line == "ready\n" {
		<-s.copied
		_ = s.cmd.Process.Release()
		return nil
	}
	werr := s.cmd.Wait()
	<-s.copied
	var ee *exec.ExitError
	if errors.As(werr, &ee) && ee.ExitCode() > 0 {
		return exitError{ee.ExitCode()}
	}
	return fmt.Errorf("the supervisor of container %s exited before the container ran: %v", name, werr)
}

// pipes makes pipes whose child ends are closed in the parent once the
// child has them.
type pipes struct{ child []*os.File }

// childWrites is a pipe the child writes to.
func (p *pipes) childWrites() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err == nil {
		p.child = append(p.child, w)
	}
	return r, w, err
}

// childReads is a pipe the child reads from.
func (p *pipes) childReads() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err == nil {
		p.child = append(p.child, r)
	}
	return r, w, err
}

func (p *pipes) closeChildEnds() {
	for _, f := range p.child {
		f.Close()
	}
}

func withoutEnv(env []string, name string) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// warmProcessStart makes the Go runtime check, once per process, that
// pidfds work, which it otherwise does inside the first os/exec start: a
// throwaway vfork child that, on two busy processors, can keep that start
// (the supervisor's, the id-map helpers') waiting for milliseconds. Run
// in a goroutine early on, it costs the start nothing.
func warmProcessStart() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Release()
	}
}
