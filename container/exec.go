package container

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/messages"
)

// Running is a running container, as Run.OnRunning hands it out: more
// processes can be started in it (nook exec) until Run.Start returns.
type Running struct {
	ag *agent
	// base is what every exec takes from the container: its hostname and
	// id maps.
	base messages.Exec
}

// ExecSpec is a process to start in a running container.
type ExecSpec struct {
	// Process is the command: Args, Env (complete: the caller merges the
	// container's with its own), Cwd (it must exist), User (Username,
	// resolved in the container's /etc as for the container's command,
	// or else UID and GID), Terminal, ConsoleSize, Capabilities and
	// NoNewPrivileges.
	Process *specs.Process
	// Seccomp is the container's seccomp setting.
	Seccomp bool
	// Stdin, Stdout, Stderr are the command's when it has no terminal,
	// handed over as they are (in blocking mode): pass pipes or files,
	// not a terminal of the caller's (see Run's stdio). Nil is /dev/null.
	Stdin, Stdout, Stderr *os.File
}

// ExecProcess is a process started by Running.Exec. Wait releases it.
type ExecProcess struct {
	st  *execState
	pty *os.File

	mu    sync.Mutex
	pidfd int // -1 once Wait has returned
}

// execState is one exec request as the agent answers it: Started, then
// Exited (both also when the agent is gone). The agent's mu guards it.
type execState struct {
	started, exited         chan struct{}
	startedDone, exitedDone bool
	err                     error // why it did not start
	pid, pidfd, pty         int
	status                  int
}

// errNotRunning is every exec's answer once the agent is gone.
var errNotRunning = &Error{Code: CodeFailed, Msg: "cannot exec: the container is not running"}

// running is the handle OnRunning gets.
func (r *Run) running(ag *agent) *Running {
	s := r.Config.Spec
	b := messages.Exec{Hostname: s.Hostname, IDNote: r.Config.IDNote}
	if s.Linux != nil {
		b.UIDMappings, b.GIDMappings = s.Linux.UIDMappings, s.Linux.GIDMappings
	}
	return &Running{ag: ag, base: b}
}

// onRunning is what supervise calls once the command runs.
func (r *Run) onRunning(ag *agent) func() {
	if ag == nil || r.OnRunning == nil {
		return func() {}
	}
	c := r.running(ag)
	return func() { go r.OnRunning(c) }
}

// Exec starts e in the container: in all of its namespaces and its cgroup,
// with e's capabilities, no_new_privs and seccomp setting. It returns once
// the command runs, or an *Error with Docker's status: 125 when nook
// failed, 126 when the command cannot be executed, 127 when it is not found.
func (c *Running) Exec(e ExecSpec) (*ExecProcess, error) {
	if e.Process == nil || len(e.Process.Args) == 0 {
		return nil, failed("cannot exec: no command given")
	}
	stdio, closeStdio, err := execStdio(e)
	if err != nil {
		return nil, err
	}
	defer closeStdio()
	x := c.base
	x.Process, x.Seccomp = e.Process, e.Seccomp
	st, err := c.ag.exec(&x, stdio)
	if err != nil {
		var ne *Error
		if errors.As(err, &ne) {
			return nil, ne
		}
		return nil, failed("cannot exec: %v", err)
	}
	p := &ExecProcess{st: st, pidfd: st.pidfd}
	if st.pty >= 0 {
		p.pty = os.NewFile(uintptr(st.pty), "pty-master")
	}
	return p, nil
}

// execStdio is what the command gets as 0-2: the caller's files, and
// /dev/null for the others (for all three with a terminal: the helper
// replaces them with the pty). done closes what it opened.
func execStdio(e ExecSpec) (fds []int, done func(), err error) {
	var null *os.File
	done = func() {
		if null != nil {
			null.Close()
		}
	}
	for _, f := range []*os.File{e.Stdin, e.Stdout, e.Stderr} {
		if f == nil || e.Process.Terminal {
			if null == nil {
				if null, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
					return nil, done, failed("cannot exec: open %s: %v", os.DevNull, err)
				}
			}
			f = null
		}
		fds = append(fds, fdOf(f))
	}
	return fds, done, nil
}

// Pid is the process's pid on the host.
func (p *ExecProcess) Pid() int { return p.st.pid }

// Pty is the master of the process's terminal (in the container's devpts)
// when it has one, nil otherwise; the caller relays it and closes it.
func (p *ExecProcess) Pty() *os.File { return p.pty }

// Signal sends s to the process, never to another that took its pid.
func (p *ExecProcess) Signal(s syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd < 0 {
		return os.ErrProcessDone
	}
	err := unix.PidfdSendSignal(p.pidfd, s, nil, 0)
	if errors.Is(err, unix.ESRCH) {
		return os.ErrProcessDone
	}
	if err != nil {
		return fmt.Errorf("signal exec'd process %d: %w", p.st.pid, err)
	}
	return nil
}

// Wait waits for the process to exit and returns its status as the
// shell's: 128+N for death by signal N. When the container's PID 1 exits
// the kernel kills the process with the rest of the container (137).
func (p *ExecProcess) Wait() (int, error) {
	<-p.st.exited
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
		p.pidfd = -1
	}
	return p.st.status, nil
}

// exec asks the agent to start x with stdio and waits until it runs.
func (a *agent) exec(x *messages.Exec, stdio []int) (*execState, error) {
	st := &execState{started: make(chan struct{}), exited: make(chan struct{}), pidfd: -1, pty: -1}
	id, err := a.register(func(id uint32) { a.execs[id] = st })
	if err != nil {
		return nil, errNotRunning
	}
	if err := a.send(messages.AgentMsg{Kind: messages.AgentExec, ID: id, Exec: x}, stdio...); err != nil {
		a.forgetExec(id)
		if errors.Is(err, errAgentGone) {
			return nil, errNotRunning
		}
		return nil, err
	}
	<-st.started
	if st.err != nil {
		return nil, st.err
	}
	return st, nil
}

func (a *agent) forgetExec(id uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.execs, id)
}

// execStarted is the agent's answer to an exec: its process, or why not.
func (a *agent) execStarted(m messages.AgentMsg, fds []int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.execs[m.ID]
	if st == nil || st.startedDone {
		closeFDs(fds)
		return
	}
	switch {
	case m.Error != "":
		st.err = &Error{Code: execCode(m.Code), Msg: m.Error}
	case len(fds) == 1 || len(fds) == 2:
		st.pid, st.pidfd, fds = m.Pid, fds[0], fds[1:]
		if len(fds) == 1 {
			st.pty, fds = fds[0], nil
		}
	default:
		st.err = failed("cannot exec: the agent answered with %d descriptors", len(fds))
	}
	closeFDs(fds)
	if st.err != nil {
		delete(a.execs, m.ID)
	}
	st.startedDone = true
	close(st.started)
}

func (a *agent) execExited(m messages.AgentMsg) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.execs[m.ID]
	delete(a.execs, m.ID)
	if st == nil || st.exitedDone {
		return
	}
	st.status, st.exitedDone = m.Status, true
	close(st.exited)
}

// agentGone ends both waits: with the agent gone, the process was killed
// with the container (its parent-death signal, or the PID namespace's end).
func (st *execState) agentGone() {
	if !st.startedDone {
		st.err, st.startedDone = errNotRunning, true
		close(st.started)
	}
	if !st.exitedDone {
		st.status, st.exitedDone = 128+int(syscall.SIGKILL), true
		close(st.exited)
	}
}

// execCode is Docker's status for a failed exec: 125 unless the command
// could not be executed (126) or found (127).
func execCode(code int) int {
	if code == 126 || code == 127 {
		return code
	}
	return CodeFailed
}
