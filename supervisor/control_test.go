package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

type fakeHandler struct {
	sig  syscall.Signal
	stop bool
}

func (h *fakeHandler) Signal(sig syscall.Signal, stop, _ bool) error {
	if sig == syscall.SIGUSR2 {
		return errors.New("container x is not running")
	}
	h.sig, h.stop = sig, stop
	return nil
}

// Exec answers Started with the first file it got back, then Exited with
// the number of files as the code.
func (h *fakeHandler) Exec(req ExecRequest, files []*os.File, c *Conn) {
	_ = c.Send(Reply{Started: true}, files[0])
	var sig Request
	if _, err := c.Recv(&sig); err == nil && sig.Op == "signal" {
		h.sig = syscall.Signal(sig.Signal)
	}
	_ = c.Send(Reply{Exited: true, Code: len(files) + len(req.Args)})
	closeFiles(files)
}

func TestControl(t *testing.T) {
	h := &fakeHandler{}
	path := filepath.Join(t.TempDir(), "ctl", "c")
	s, err := Listen(path, h)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := Ask(path, Request{Op: "signal", Signal: int(syscall.SIGTERM), Stop: true}); err != nil {
		t.Fatal(err)
	}
	if h.sig != syscall.SIGTERM || !h.stop {
		t.Errorf("handler got %v stop=%v", h.sig, h.stop)
	}
	if err := Ask(path, Request{Op: "signal", Signal: int(syscall.SIGUSR2)}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("handler error: %v", err)
	}
	if err := Ask(path, Request{Op: "dance"}); err == nil {
		t.Error("an unknown request was answered without error")
	}

	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, w, _ := os.Pipe()
	defer r.Close()
	if err := c.Send(Request{Op: "exec", Exec: &ExecRequest{Args: []string{"true"}}}, w, w, w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var started Reply
	files, err := c.Recv(&started)
	if err != nil || !started.Started || len(files) != 1 {
		t.Fatalf("started: %+v, %d files, %v", started, len(files), err)
	}
	closeFiles(files)
	if err := c.Send(Request{Op: "signal", Signal: int(syscall.SIGINT)}); err != nil {
		t.Fatal(err)
	}
	var exited Reply
	if _, err := c.Recv(&exited); err != nil || !exited.Exited || exited.Code != 4 {
		t.Errorf("exited: %+v, %v", exited, err)
	}
	if h.sig != syscall.SIGINT {
		t.Errorf("the exec's signal reached the handler as %v", h.sig)
	}
	s.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the socket is left after Close: %v", err)
	}
}
