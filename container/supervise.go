package container

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"nook/messages"
)

// forwarded are the signals nook passes on to the container's PID 1.
var forwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
}

// notifySignals starts relaying the signals nook forwards. Their first
// setup costs the Go runtime a few hundred microseconds, so it runs beside
// the container's start, not before it: a signal that arrives earlier
// kills nook, and with it (parent-death signal) the container, which is
// what it would have asked for anyway. stop undoes it.
func notifySignals() (sigs chan os.Signal, stop func()) {
	sigs = make(chan os.Signal, 16)
	done := make(chan struct{})
	go func() {
		signal.Notify(sigs, forwarded...)
		close(done)
	}()
	return sigs, func() {
		<-done
		signal.Stop(sigs)
	}
}

// supervise waits for the container, forwarding signals meanwhile, and
// collects what the init reported; running is called once the command runs.
func (r *Run) supervise(proc *process, sock int, io *stdio, sigs chan os.Signal, running func()) (int, error) {
	reported := make(chan *Error, 1)
	go func() { reported <- r.readMessages(sock, io, running) }()
	waited := make(chan struct{})
	go func() {
		_ = proc.exited()
		close(waited)
	}()
	for {
		select {
		case s := <-sigs:
			r.relaySignal(proc, s.(syscall.Signal), io)
		case <-waited:
			// Behind an agent that died of something else than the
			// init's exit, the init would be left without its parent.
			proc.signal(syscall.SIGKILL)
			ws, err := proc.reap()
			// The init's socket end is gone with it: the reader ends too.
			failure := <-reported
			io.finish()
			if failure != nil {
				return failure.Code, failure
			}
			if err != nil {
				return CodeFailed, failed("wait for the container: %v", err)
			}
			return statusCode(ws), nil
		}
	}
}

// readMessages reads until the init execs (EOF) or reports a failure.
func (r *Run) readMessages(sock int, st *stdio, running func()) *Error {
	var failure *Error
	for {
		m, fds, err := messages.Recv(sock)
		if err != nil {
			if !errors.Is(err, io.EOF) && failure == nil {
				failure = &Error{Code: CodeFailed, Msg: err.Error()}
			}
			if failure == nil {
				running()
			}
			return failure
		}
		switch m.Kind {
		case messages.KindPty:
			if len(fds) == 1 {
				st.attachPty(os.NewFile(uintptr(fds[0]), "pty-master"), r.Stdin, r.Stdout, r.Config.Stdin)
			}
		case messages.KindFailed:
			failure = &Error{Code: m.Code, Msg: m.Error}
		}
	}
}

func (r *Run) relaySignal(proc *process, s syscall.Signal, io *stdio) {
	if s == syscall.SIGWINCH && io.resize() {
		// The pty sends SIGWINCH to its foreground process group itself.
		return
	}
	proc.signal(s)
}

// statusCode is the shell's status for ws: 128+N for death by signal N.
func statusCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
