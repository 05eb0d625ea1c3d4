package container

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
	"nook/messages"
)

// forwarded are the signals nook passes on to the container's PID 1.
var forwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
}

// supervise waits for the container, forwarding signals meanwhile, and
// collects what the init reported.
func (r *Run) supervise(cmd *exec.Cmd, sock int, io *stdio, sigs chan os.Signal) (int, error) {
	reported := make(chan *Error, 1)
	go func() { reported <- r.readMessages(sock, io) }()
	waited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(waited)
	}()
	for {
		select {
		case s := <-sigs:
			r.relaySignal(cmd, s.(syscall.Signal), io)
		case <-waited:
			// The init's socket end is gone with it: the reader ends too.
			failure := <-reported
			io.finish()
			if failure != nil {
				return failure.Code, failure
			}
			return exitCode(cmd.ProcessState), nil
		}
	}
}

// readMessages reads until the init execs (EOF) or reports a failure.
func (r *Run) readMessages(sock int, io *stdio) *Error {
	var failure *Error
	for {
		m, fds, err := messages.Recv(sock)
		if err != nil {
			if !errors.Is(err, io_EOF) && failure == nil {
				failure = &Error{Code: CodeFailed, Msg: err.Error()}
			}
			return failure
		}
		switch m.Kind {
		case messages.KindPty:
			if len(fds) == 1 {
				io.attachPty(os.NewFile(uintptr(fds[0]), "pty-master"), r.Stdin, r.Stdout, r.Config.Stdin)
			}
		case messages.KindFailed:
			failure = &Error{Code: m.Code, Msg: m.Error}
		}
	}
}

var io_EOF = io.EOF

func (r *Run) relaySignal(cmd *exec.Cmd, s syscall.Signal, io *stdio) {
	if s == syscall.SIGWINCH && io.resize() {
		// The pty sends SIGWINCH to its foreground process group itself.
		return
	}
	_ = cmd.Process.Signal(s)
}

func exitCode(ps *os.ProcessState) int {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok {
		return ps.ExitCode()
	}
	return statusCode(ws)
}

// statusCode is the shell's status for ws: 128+N for death by signal N.
func statusCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

var _ = unix.SIGKILL
