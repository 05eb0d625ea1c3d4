// Package supervisor is the control socket of a detached container's
// supervisor: the way `nook stop`, `kill` and `exec` reach the process
// that holds the container, from any shell of the same user. One request
// per connection, as a JSON line; the answer is a JSON line too. The
// socket lives in the user's private runtime directory (mode 0700), and
// the server also checks the peer's uid.
package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Request is what a client asks.
type Request struct {
	Op string `json:"op"` // "signal"
	// Signal is the signal to send to the container's PID 1.
	Signal int `json:"signal,omitempty"`
	// Stop: the user stops the container; no restart policy applies.
	Stop bool `json:"stop,omitempty"`
}

// Reply is the server's answer.
type Reply struct {
	Error string `json:"error,omitempty"`
}

// Handler carries out requests.
type Handler interface {
	Signal(sig syscall.Signal, stop bool) error
}

// Server answers one container's control socket.
type Server struct {
	ln   *net.UnixListener
	path string
	h    Handler
	done chan struct{}
}

// Listen makes the socket at path (removing a stale one) and serves h.
func Listen(path string, h Handler) (*Server, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket directory: %w", err)
	}
	_ = os.Remove(path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
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
		go s.answer(c)
	}
}

func (s *Server) answer(c *net.UnixConn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := sameUser(c); err != nil {
		_ = json.NewEncoder(c).Encode(Reply{Error: err.Error()})
		return
	}
	var req Request
	if err := json.NewDecoder(c).Decode(&req); err != nil {
		_ = json.NewEncoder(c).Encode(Reply{Error: "bad request: " + err.Error()})
		return
	}
	var err error
	switch req.Op {
	case "signal":
		err = s.h.Signal(syscall.Signal(req.Signal), req.Stop)
	default:
		err = fmt.Errorf("unknown request %q", req.Op)
	}
	r := Reply{}
	if err != nil {
		r.Error = err.Error()
	}
	_ = json.NewEncoder(c).Encode(r)
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

// Ask sends req to the supervisor at path and returns its answer's error.
func Ask(path string, req Request) error {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return fmt.Errorf("reach the container's supervisor: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return fmt.Errorf("ask the container's supervisor: %w", err)
	}
	var r Reply
	if err := json.NewDecoder(c).Decode(&r); err != nil {
		return fmt.Errorf("the container's supervisor did not answer: %w", err)
	}
	if r.Error != "" {
		return errors.New(r.Error)
	}
	return nil
}
