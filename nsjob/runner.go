package nsjob

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Runner is a started helper; it is safe for concurrent use, and serves
// every request at once.
type Runner struct {
	pid int // 0: no process to reap (tests)

	sendMu sync.Mutex
	sock   int // -1 once closed; guarded by sendMu for sends

	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan reply
	dead    error // why no more replies come; set once by read

	readDone  chan struct{}
	closeOnce sync.Once
	closing   bool // under mu: EOF is then the expected end

	reapMu sync.Mutex
	reaped bool
	exit   syscall.WaitStatus

	killMu sync.Mutex
	gone   bool // the helper has exited: its pid may be reused soon
}

var errClosed = errors.New("nsjob: runner is closed")

func newRunner(sock, pid int) *Runner {
	return &Runner{sock: sock, pid: pid, pending: map[uint64]chan reply{}, readDone: make(chan struct{})}
}

// call sends one request and waits for its reply.
func (r *Runner) call(req request) (reply, error) {
	ch := make(chan reply, 1)
	r.mu.Lock()
	if r.dead != nil {
		r.mu.Unlock()
		return reply{}, r.dead
	}
	r.next++
	req.ID = r.next
	r.pending[req.ID] = ch
	r.mu.Unlock()

	if err := r.send(req); err != nil {
		r.mu.Lock()
		delete(r.pending, req.ID)
		r.mu.Unlock()
		if errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNRESET) {
			// The helper is gone: the reader is finding out how.
			<-r.readDone
			return reply{}, r.deadErr()
		}
		return reply{}, fmt.Errorf("nsjob: send %s request: %w", req.Op, err)
	}
	rep, ok := <-ch
	if !ok {
		return reply{}, r.deadErr()
	}
	return rep, nil
}

func (r *Runner) deadErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dead
}

// send holds sendMu so that Close cannot close (and the kernel reuse) the
// descriptor under it.
func (r *Runner) send(req request) error {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	if r.sock < 0 {
		return errClosed
	}
	return send(r.sock, req)
}

// read hands each reply to its caller until the socket ends, then fails
// every call still waiting.
func (r *Runner) read() {
	defer close(r.readDone)
	buf := make([]byte, maxMsg)
	var err error
	for {
		var rep reply
		if err = recv(r.sock, buf, &rep); err != nil {
			break
		}
		r.mu.Lock()
		ch := r.pending[rep.ID]
		delete(r.pending, rep.ID)
		r.mu.Unlock()
		if ch != nil {
			ch <- rep
		}
	}
	err = r.helperGone(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		err = errClosed
	}
	r.dead = err
	for id, ch := range r.pending {
		close(ch)
		delete(r.pending, id)
	}
}

// helperGone explains a failed receive: at EOF the helper has exited (or
// is exiting), and how is what the user needs to know.
func (r *Runner) helperGone(err error) error {
	if !errors.Is(err, io.EOF) {
		return err
	}
	if r.pid == 0 {
		return errors.New("nsjob: helper closed the socket")
	}
	return errors.New("nsjob: helper " + describe(r.reap()))
}

func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("killed by %v", ws.Signal())
	}
	return fmt.Sprintf("exited with status %d", ws.ExitStatus())
}

// Close ends the helper (it exits when the socket closes) and fails the
// calls still waiting.
func (r *Runner) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closing = true
		r.mu.Unlock()
		// shutdown, not close: it wakes the reader blocked on the socket,
		// and the helper reads EOF.
		_ = unix.Shutdown(r.sock, unix.SHUT_RDWR)
		<-r.readDone
		r.sendMu.Lock()
		unix.Close(r.sock)
		r.sock = -1
		r.sendMu.Unlock()
		if ws := r.reap(); r.pid != 0 && (ws.Signaled() || ws.ExitStatus() != 0) {
			err = errors.New("nsjob: helper " + describe(ws))
		}
	})
	return err
}

// kill ends a helper that never started serving.
func (r *Runner) kill() {
	r.signalKill()
	r.reap()
	unix.Close(r.sock)
}

// signalKill sends SIGKILL unless the helper has been reaped, when its pid
// may already be another process's.
func (r *Runner) signalKill() {
	r.killMu.Lock()
	defer r.killMu.Unlock()
	if !r.gone && r.pid != 0 {
		_ = syscall.Kill(r.pid, syscall.SIGKILL)
	}
}

// reapTimeout bounds the wait for a helper that should be exiting; it is
// killed then.
const reapTimeout = 10 * time.Second

// reap waits for the helper once and remembers how it ended.
func (r *Runner) reap() syscall.WaitStatus {
	r.reapMu.Lock()
	defer r.reapMu.Unlock()
	if r.reaped || r.pid == 0 {
		return r.exit
	}
	t := time.AfterFunc(reapTimeout, r.signalKill)
	defer t.Stop()
	// Wait without reaping first: until gone is set, the pid is still
	// ours (a zombie at worst), so the timer's kill cannot hit another.
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, r.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	r.killMu.Lock()
	r.gone = true
	r.killMu.Unlock()
	for {
		_, err := syscall.Wait4(r.pid, &r.exit, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	r.reaped = true
	return r.exit
}
