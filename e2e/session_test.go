package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// drainTimeout is how long output may stay open after the process exited.
// Longer means a process was left behind holding it.
const drainTimeout = 2 * time.Second

// stream collects what a process writes to one pipe or pty, for Expect.
type stream struct {
	mu      sync.Mutex
	buf     []byte
	pos     int           // end of the last match
	changed chan struct{} // closed and replaced when buf grows or the stream ends
	ended   bool
	done    chan struct{} // closed when the reader has ended
}

func newStream(r io.Reader) *stream {
	s := &stream{changed: make(chan struct{}), done: make(chan struct{})}
	go s.copy(r)
	return s
}

func (s *stream) copy(r io.Reader) {
	defer close(s.done)
	b := make([]byte, 4096)
	for {
		// A pty's master reads EIO once no one holds the other side: its EOF.
		n, err := r.Read(b)
		s.mu.Lock()
		s.buf = append(s.buf, b[:n]...)
		if err != nil {
			s.ended = true
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// expect waits until substr shows up after the previous match and returns
// the text up to and including it. A timeout or the end of the stream
// without it fails the test.
func (s *stream) expect(t *testing.T, what, substr string, timeout time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		rest := s.buf[s.pos:]
		if i := bytes.Index(rest, []byte(substr)); i >= 0 {
			got := string(rest[:i+len(substr)])
			s.pos += i + len(substr)
			s.mu.Unlock()
			return got
		}
		ended, changed := s.ended, s.changed
		s.mu.Unlock()
		if ended {
			t.Fatalf("%s ended without %q; after the last match it had:\n%s", what, substr, rest)
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("%s: no %q within %v; after the last match it had:\n%s", what, substr, timeout, rest)
		}
	}
}

// String is everything read so far.
func (s *stream) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf)
}

// waitProcess waits for cmd, started, to exit within timeout; a hang fails
// the test after killing its process group.
func waitProcess(t *testing.T, cmd *exec.Cmd, output func() string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil && cmd.ProcessState == nil {
			t.Fatalf("%s: %v", cmd, err)
		}
	case <-time.After(timeout):
		killGroup(cmd)
		<-done
		t.Fatalf("%s: still running after %v, killed; output:\n%s", cmd, timeout, output())
	}
}

// session is a running command whose stdin, stdout and stderr are pipes to
// the test: for signals and interactive input without a terminal.
type session struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdin          *os.File // nil if the test set cmd.Stdin itself
	stdout, stderr *stream
}

// startNook starts the binary under test as the test user in a session.
func startNook(t *testing.T, args ...string) *session {
	t.Helper()
	return startSession(t, nookCmd(t, args...))
}

// startSession starts a command prepared by asUserCmd or nookCmd. Unless the
// test set cmd.Stdin, stdin is a pipe the test writes with Write and closes
// with CloseStdin.
func startSession(t *testing.T, cmd *exec.Cmd) *session {
	t.Helper()
	s := &session{t: t, cmd: cmd}
	var childEnds []*os.File
	pipe := func() (r, w *os.File) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		return r, w
	}
	if cmd.Stdin == nil {
		r, w := pipe()
		cmd.Stdin, s.stdin = r, w
		childEnds = append(childEnds, r)
	}
	outR, outW := pipe()
	errR, errW := pipe()
	cmd.Stdout, cmd.Stderr = outW, errW
	childEnds = append(childEnds, outW, errW)
	err := cmd.Start()
	for _, f := range childEnds {
		f.Close()
	}
	if err != nil {
		outR.Close()
		errR.Close()
		t.Fatalf("start %s: %v", cmd, err)
	}
	s.stdout, s.stderr = newStream(outR), newStream(errR)
	t.Cleanup(func() {
		killGroup(cmd)
		if s.stdin != nil {
			s.stdin.Close()
		}
		outR.Close()
		errR.Close()
	})
	return s
}

// Pid is the host pid of the process started.
func (s *session) Pid() int { return s.cmd.Process.Pid }

// Write writes to the process's stdin.
func (s *session) Write(text string) {
	s.t.Helper()
	if s.stdin == nil {
		s.t.Fatal("session: stdin is not a pipe of the session")
	}
	if _, err := io.WriteString(s.stdin, text); err != nil {
		s.t.Fatalf("write to stdin of %s: %v", s.cmd, err)
	}
}

// CloseStdin closes the process's stdin: it reads EOF.
func (s *session) CloseStdin() {
	if s.stdin != nil {
		s.stdin.Close()
	}
}

// Expect waits for substr on stdout; see stream.expect.
func (s *session) Expect(substr string, timeout time.Duration) string {
	s.t.Helper()
	return s.stdout.expect(s.t, "stdout of "+s.cmd.String(), substr, timeout)
}

// ExpectStderr waits for substr on stderr; see stream.expect.
func (s *session) ExpectStderr(substr string, timeout time.Duration) string {
	s.t.Helper()
	return s.stderr.expect(s.t, "stderr of "+s.cmd.String(), substr, timeout)
}

// Signal sends sig to the process started (nook itself, not the container).
func (s *session) Signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v to %s: %v", sig, s.cmd, err)
	}
}

// Wait waits for the process to exit and its output to end, and returns
// all of its output. Output still open after the exit fails the test: a
// process was left behind.
func (s *session) Wait() result {
	s.t.Helper()
	waitProcess(s.t, s.cmd, func() string {
		return "--- stdout:\n" + s.stdout.String() + "\n--- stderr:\n" + s.stderr.String()
	})
	s.CloseStdin()
	for _, st := range []*stream{s.stdout, s.stderr} {
		select {
		case <-st.done:
		case <-time.After(drainTimeout):
			s.t.Errorf("%s exited, but its output stayed open: a process left behind?", s.cmd)
		}
	}
	r := result{Stdout: s.stdout.String(), Stderr: s.stderr.String()}
	r.Code, r.Signal = exitStatus(s.cmd)
	return r
}

// ptySession is a running command whose stdin, stdout and stderr are a new
// pseudo-terminal, its controlling terminal, as in a user's terminal window.
// What it writes reaches the test as the terminal shows it: with "\r\n"
// line ends and, while the terminal echoes, the test's own input.
type ptySession struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	out    *stream
}

// nookPty starts the binary under test as the test user on a new 24x80
// terminal.
func nookPty(t *testing.T, args ...string) *ptySession {
	t.Helper()
	return startPty(t, nookCmd(t, args...), 24, 80)
}

// startPty starts a command prepared by asUserCmd or nookCmd on a new
// terminal of the given size, in a new session (Setsid) whose controlling
// terminal it is (Setctty), with TERM=xterm.
func startPty(t *testing.T, cmd *exec.Cmd, rows, cols uint16) *ptySession {
	t.Helper()
	master, slave, err := openPty(env.uid)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	p := &ptySession{t: t, cmd: cmd, master: master}
	p.Resize(rows, cols)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.Env = append(cmd.Env, "TERM=xterm")
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = false // a session leader cannot change its group
	cmd.SysProcAttr.Setsid = true
	cmd.SysProcAttr.Setctty = true
	cmd.SysProcAttr.Ctty = 0 // the child's stdin
	err = cmd.Start()
	slave.Close()
	if err != nil {
		master.Close()
		t.Fatalf("start %s: %v", cmd, err)
	}
	p.out = newStream(master)
	t.Cleanup(func() {
		killGroup(cmd)
		master.Close()
	})
	return p
}

// openPty opens a new pseudo-terminal pair, the terminal side owned by uid
// (group tty, mode 0620) as login programs leave a user's terminal.
func openPty(uid int) (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	var n uint32
	err = control(master, func(fd int) error {
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return os.NewSyscallError("unlockpt", err)
		}
		n, err = unix.IoctlGetUint32(fd, unix.TIOCGPTN)
		return os.NewSyscallError("ptsname", err)
	})
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	name := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	slave, err = os.OpenFile(name, os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	gid := -1
	if g, err := user.LookupGroup("tty"); err == nil {
		gid, _ = strconv.Atoi(g.Gid)
	}
	if err := errors.Join(slave.Chown(uid, gid), slave.Chmod(0o620)); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// control runs f on f's descriptor without File.Fd, which would switch the
// file to blocking mode and take it off the runtime's poller.
func control(file *os.File, f func(fd int) error) error {
	rc, err := file.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// Pid is the host pid of the process started.
func (p *ptySession) Pid() int { return p.cmd.Process.Pid }

// Write types text on the terminal.
func (p *ptySession) Write(text string) {
	p.t.Helper()
	if _, err := io.WriteString(p.master, text); err != nil {
		p.t.Fatalf("write to the terminal of %s: %v", p.cmd, err)
	}
}

// Expect waits for substr on the terminal; see stream.expect.
func (p *ptySession) Expect(substr string, timeout time.Duration) string {
	p.t.Helper()
	return p.out.expect(p.t, "terminal of "+p.cmd.String(), substr, timeout)
}

// Resize sets the terminal's size; the kernel sends SIGWINCH to its
// foreground process group.
func (p *ptySession) Resize(rows, cols uint16) {
	p.t.Helper()
	err := control(p.master, func(fd int) error {
		return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	})
	if err != nil {
		p.t.Fatalf("resize terminal: %v", err)
	}
}

// Signal sends sig to the process started (nook itself, not the container).
func (p *ptySession) Signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v to %s: %v", sig, p.cmd, err)
	}
}

// Output is everything the terminal showed so far.
func (p *ptySession) Output() string { return p.out.String() }

// Wait waits for the process to exit and the terminal to be closed by
// everyone, and returns all it showed as Stdout. A terminal still open
// after the exit fails the test: a process was left behind.
func (p *ptySession) Wait() result {
	p.t.Helper()
	waitProcess(p.t, p.cmd, p.out.String)
	select {
	case <-p.out.done:
	case <-time.After(drainTimeout):
		p.t.Errorf("%s exited, but its terminal stayed open: a process left behind?", p.cmd)
	}
	r := result{Stdout: p.out.String()}
	r.Code, r.Signal = exitStatus(p.cmd)
	return r
}
