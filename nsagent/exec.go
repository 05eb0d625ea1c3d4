package nsagent

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/sys/unix"
	"nook/messages"
)

// Exit statuses of a failed exec, as Docker's.
const (
	codeCannotExec = 126
	codeNotFound   = 127
)

// maxErrorText bounds the failure text a helper can make nook print.
const maxErrorText = 512

// helper is one exec helper: the init program started as nsinit.ExecArg
// in the container's PID namespace, which becomes the exec'd command.
type helper struct {
	pid, pidfd int
	sock       int // the agent's end of the helper's socket
}

func (h *helper) close() {
	closeFD(h.sock)
	closeFD(h.pidfd)
}

// runExec starts an exec helper for the host's request and reports on
// it: started (or why not), then its status once reaped.
func (a *agent) runExec(m messages.AgentMsg, stdio []int) {
	defer a.end()
	h, err := a.startHelper(m.Exec, stdio)
	if err != nil {
		_ = messages.SendAgent(a.sock, messages.AgentMsg{Kind: messages.AgentExecStarted, ID: m.ID, Error: err.Error(), Code: codeFailed})
		return
	}
	defer h.close()
	exited := make(chan int, 1)
	go func() {
		status := a.spawn.wait(h.pid)
		// A process of the container's may have taken a copy of the
		// helper's socket: the helper's end must not wait for that one.
		_ = unix.Shutdown(h.sock, unix.SHUT_RDWR)
		exited <- status
	}()
	if !a.reportStarted(m, h) {
		// Nothing of an exec nook reported as failed keeps running.
		_ = unix.PidfdSendSignal(h.pidfd, unix.SIGKILL, nil, 0)
		<-exited
		return
	}
	status := <-exited
	_ = messages.SendAgent(a.sock, messages.AgentMsg{Kind: messages.AgentExecExited, ID: m.ID, Status: status})
}

// reportStarted tells the host side how the helper's start went, and
// whether its command runs.
func (a *agent) reportStarted(m messages.AgentMsg, h *helper) bool {
	r := readHelper(h.sock, m.Exec.Process.Terminal)
	started := messages.AgentMsg{Kind: messages.AgentExecStarted, ID: m.ID}
	if r.err != nil {
		started.Error, started.Code = r.err.Error(), r.code
		_ = messages.SendAgent(a.sock, started)
		return false
	}
	started.Pid = h.pid
	fds := []int{h.pidfd}
	if r.pty >= 0 {
		defer closeFD(r.pty)
		fds = append(fds, r.pty)
	}
	return messages.SendAgent(a.sock, started, fds...) == nil
}

// startHelper starts a helper with stdio (closed here) and hands it e.
func (a *agent) startHelper(e *messages.Exec, stdio []int) (*helper, error) {
	defer closeAll(stdio)
	if e == nil || e.Process == nil || len(e.Process.Args) == 0 || len(stdio) != 3 {
		return nil, fmt.Errorf("exec: the request has no command or %d descriptors, not 3", len(stdio))
	}
	mine, theirs, err := messages.Pair()
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	pid, pidfd, err := a.spawn.spawn([]int{stdio[0], stdio[1], stdio[2], theirs})
	closeFD(theirs)
	if err != nil {
		closeFD(mine)
		return nil, err
	}
	h := &helper{pid: pid, pidfd: pidfd, sock: mine}
	if err := messages.Send(mine, messages.Msg{Kind: messages.KindExec, Exec: e}); err != nil {
		_ = unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
		a.spawn.wait(pid)
		h.close()
		return nil, fmt.Errorf("exec: %w", err)
	}
	return h, nil
}

// helperReport is what an exec helper said before its command ran. The
// helper runs as the container's root among the container's processes,
// and its socket is theirs as much as its own: nothing read from it is
// believed beyond what can be checked.
type helperReport struct {
	pty  int
	err  error
	code int
}

// readHelper reads the helper's messages until its socket ends: at its
// execve (close-on-exec) or its exit.
func readHelper(sock int, terminal bool) helperReport {
	r := helperReport{pty: -1}
	for {
		m, fds, err := messages.Recv(sock)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.fail(fmt.Errorf("exec helper: %w", err), codeFailed)
			}
			break
		}
		closeAll(r.take(m, fds))
	}
	if r.err == nil && terminal && r.pty < 0 {
		r.fail(errors.New("exec helper: no terminal came from the container"), codeFailed)
	}
	if r.err != nil && r.pty >= 0 {
		closeFD(r.pty)
		r.pty = -1
	}
	return r
}

// take keeps the first pty master and the first failure of m, and
// returns the descriptors it did not keep.
func (r *helperReport) take(m messages.Msg, fds []int) []int {
	switch {
	case m.Kind == messages.KindPty && len(fds) == 1 && r.pty < 0 && isPtyMaster(fds[0]):
		r.pty = fds[0]
		return nil
	case m.Kind == messages.KindFailed:
		r.fail(errors.New(oneLine(m.Error)), m.Code)
	}
	return fds
}

func (r *helperReport) fail(err error, code int) {
	if r.err != nil {
		return
	}
	r.err = err
	switch code {
	case codeCannotExec, codeNotFound:
		r.code = code
	default:
		r.code = codeFailed
	}
}

// isPtyMaster: the host side relays a terminal to what the container
// passes as its pty master, so it must be one: the ptmx character device
// (5:2), open for I/O (an O_PATH descriptor fails the ioctl), answering
// TIOCGPTN (fstat first: an ioctl on an unknown device is not harmless).
func isPtyMaster(fd int) bool {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return false
	}
	if unix.Major(st.Rdev) != 5 || unix.Minor(st.Rdev) != 2 {
		return false
	}
	_, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	return err == nil
}

// oneLine is a failure text fit to print on the user's terminal: its
// first line, without control characters, bounded.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.ToValidUTF8(s, "?"), "\n")
	s = strings.Map(func(r rune) rune {
		// Format characters include the bidirectional overrides.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return '?'
		}
		return r
	}, s)
	if len(s) > maxErrorText {
		s = strings.ToValidUTF8(s[:maxErrorText], "") + "…"
	}
	if s == "" {
		return "the exec helper failed"
	}
	return s
}
