// Package supervisor is the control socket of a detached container's
// supervisor: the way `nook stop`, `kill` and `exec` reach the process
// that holds the container, from any shell of the same user. One request
// per connection (SOCK_SEQPACKET), as a JSON message with descriptors
// alongside; answers likewise (an exec has several: started, exited). The
// socket lives in the user's private runtime directory (mode 0700), and
// the server also checks the peer's uid.
package supervisor

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Request is what a client asks.
type Request struct {
	Op string `json:"op"` // "signal", "exec"
	// Signal is the signal to send to the container's PID 1.
	Signal int `json:"signal,omitempty"`
	// Stop: the user stops the container; no restart policy applies.
	Stop bool `json:"stop,omitempty"`
	// Wait: answer once the container has exited (and its status is
	// written), not when the signal is sent.
	Wait bool `json:"wait,omitempty"`
	// Exec is the process to start (op exec).
	Exec *ExecRequest `json:"exec,omitempty"`
}

// ExecRequest is `nook exec`'s process. Stdin, stdout and stderr come as
// descriptors with the request, unless Tty (the answer then carries the
// pty's master).
type ExecRequest struct {
	Args   []string `json:"args"`
	Env    []string `json:"env,omitempty"` // added to the container's
	Cwd    string   `json:"cwd,omitempty"`
	User   string   `json:"user,omitempty"`
	Tty    bool     `json:"tty,omitempty"`
	Width  uint     `json:"width,omitempty"`
	Height uint     `json:"height,omitempty"`
	Detach bool     `json:"detach,omitempty"`
}

// Reply is the server's answer.
type Reply struct {
	Error string `json:"error,omitempty"`
	// Code is the exit status for Error (exec: 125, 126, 127), or an
	// exec'd process's (Exited).
	Code    int  `json:"code,omitempty"`
	Started bool `json:"started,omitempty"`
	Exited  bool `json:"exited,omitempty"`
}

// Handler carries out requests.
type Handler interface {
	Signal(sig syscall.Signal, stop, wait bool) error
	// Exec starts req with files as its stdio and answers on c: Started
	// (or Error), then Exited; meanwhile c may bring Requests of op
	// "signal" for the process.
	Exec(req ExecRequest, files []*os.File, c *Conn)
}

// Server answers one container's control socket.
type Server struct {
	ln   *net.UnixListener
	path string
	h    Handler
	done chan struct{}
	// answering counts the requests being answered: Close lets them
	// finish (a wait request is answered as the container ends, which is
	// also when the supervisor closes).
	answering sync.WaitGroup
}

// Listen makes the socket at path (removing a stale one) and serves h.
func Listen(path string, h Handler) (*Server, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket directory: %w", err)
	}
	_ = os.Remove(path)
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	s := &Server{ln: ln, path: path, h: h, done: make(chan struct{})}
	go s.serve()
	return s, nil
}

// Close stops serving and removes the socket.
func (s *Server) Close() {
	s.ln.Close()
	<-s.done
	answered := make(chan struct{})
	go func() {
		s.answering.Wait()
		close(answered)
	}()
	select {
	case <-answered:
	case <-time.After(2 * time.Second):
	}
}

func (s *Server) serve() {
	defer close(s.done)
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.answering.Add(1)
		go func() {
			defer s.answering.Done()
			s.answer(c)
		}()
	}
}

func (s *Server) answer(uc *net.UnixConn) {
	c := &Conn{c: uc}
	defer c.Close()
	if err := sameUser(uc); err != nil {
		_ = c.Send(Reply{Error: err.Error()})
		return
	}
	var req Request
	_ = uc.SetReadDeadline(time.Now().Add(30 * time.Second))
	files, err := c.Recv(&req)
	_ = uc.SetReadDeadline(time.Time{})
	if err != nil {
		_ = c.Send(Reply{Error: "bad request: " + err.Error()})
		return
	}
	switch {
	case req.Op == "exec" && req.Exec != nil:
		s.h.Exec(*req.Exec, files, c)
		return
	case req.Op == "signal":
		err = s.h.Signal(syscall.Signal(req.Signal), req.Stop, req.Wait)
	default:
		err = fmt.Errorf("unknown request %q", req.Op)
	}
	closeFiles(files)
	r := Reply{}
	if err != nil {
		r.Error = err.Error()
	}
	_ = c.Send(r)
}

// sameUser refuses peers of another uid (the directory's mode already
// should; this holds if it is ever not).
func sameUser(c *net.UnixConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var cerr error
	err = raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("uid %d may not control this container", cred.Uid)
	}
	return nil
}

// Dial connects to the supervisor at path.
func Dial(path string) (*Conn, error) {
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("reach the container's supervisor: %w", err)
	}
	return &Conn{c: c}, nil
}

// Ask sends req to the supervisor at path and returns its answer's error.
func Ask(path string, req Request) error {
	c, err := Dial(path)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := c.Send(req); err != nil {
		return err
	}
	var r Reply
	files, err := c.Recv(&r)
	closeFiles(files)
	if err != nil {
		return fmt.Errorf("the container's supervisor did not answer: %w", err)
	}
	if r.Error != "" {
		return errors.New(r.Error)
	}
	return nil
}
