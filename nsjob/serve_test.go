package nsjob

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"nook/layer"
)

// inProcess runs a server with do in this process and a Runner talking to
// it, so the multiplexing can be tested without a helper process.
func inProcess(t *testing.T, do func(request) reply) (*Runner, chan error) {
	t.Helper()
	// Not pair: the server's descriptor stays open for good, since its
	// goroutines may still reply after the test (and the number must not
	// be reused by the next test's socket); r.Close closes a.
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := fds[0], fds[1]
	fatal := make(chan error, 10)
	s := &server{sock: b, do: do, fatal: func(err error) { fatal <- err }}
	done := make(chan error, 1)
	go func() { done <- s.serve() }()
	r := newRunner(a, 0)
	if err := r.handOver(IDs{}); err != nil {
		t.Fatal(err)
	}
	go r.read()
	t.Cleanup(func() { r.Close() })
	return r, done
}

// TestConcurrentRequests: replies come back in any order and reach their
// callers; the slow request does not hold up the others.
func TestConcurrentRequests(t *testing.T) {
	release := make(chan struct{})
	r, _ := inProcess(t, func(req request) reply {
		if req.Dir == "slow" {
			<-release
		}
		if req.Dir == "evil" {
			return errorReply(0, errors.New("layer evil: entry \"../x\": "+layer.ErrUnsafe.Error()))
		}
		return reply{Result: &UnpackResult{Result: layer.Result{DiffID: "sha256:" + req.Dir, Files: len(req.Dir)}}}
	})
	slow := make(chan error, 1)
	go func() {
		res, err := r.Unpack("b", "slow", "n", false)
		if err == nil && res.DiffID != "sha256:slow" {
			err = errors.New("wrong result " + res.DiffID)
		}
		slow <- err
	}()
	var wg sync.WaitGroup
	for _, dir := range []string{"a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g", "hh"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.Unpack("b", dir, "n", false)
			if err != nil || res.DiffID != "sha256:"+dir || res.Files != len(dir) {
				t.Errorf("%s: %+v, %v", dir, res, err)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-slow:
		t.Fatalf("slow request finished early: %v", err)
	default:
	}
	close(release)
	if err := <-slow; err != nil {
		t.Error(err)
	}
	if _, err := r.Unpack("b", "evil", "evil", false); err == nil || !strings.HasPrefix(err.Error(), "layer evil: entry") {
		t.Errorf("evil: %v", err)
	}
}

// TestCloseEndsEverything: the server sees EOF, a waiting call fails
// instead of hanging, and later calls fail at once.
func TestCloseEndsEverything(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	r, done := inProcess(t, func(req request) reply { <-block; return reply{} })
	waiting := make(chan error, 1)
	go func() { waiting <- r.RemoveAll("x") }()
	time.Sleep(50 * time.Millisecond)
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-waiting:
		if !errors.Is(err, errClosed) {
			t.Errorf("waiting call: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting call still blocked after Close")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server still running after Close")
	}
	if err := r.Flatten("d", nil); !errors.Is(err, errClosed) {
		t.Errorf("call after Close: %v", err)
	}
}

// TestServerGone: when the helper's end goes away, waiting calls get an
// error naming that.
func TestServerGone(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := fds[0], fds[1]
	defer unix.Close(b)
	r := newRunner(a, 0) // r.Close closes a
	go r.read()
	waiting := make(chan error, 1)
	go func() { waiting <- r.RemoveAll("x") }()
	time.Sleep(50 * time.Millisecond)
	var req request
	if err := recv(b, make([]byte, maxMsg), &req); err != nil || req.Op != opRemoveAll {
		t.Fatalf("server got %+v, %v", req, err)
	}
	closeSocket(b)
	select {
	case err := <-waiting:
		if err == nil || !strings.Contains(err.Error(), "helper closed the socket") {
			t.Errorf("waiting call: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("call still blocked after the helper went away")
	}
	r.Close()
}

func TestFirstRequestMustBeGo(t *testing.T) {
	a, b := pair(t)
	s := &server{sock: b, do: do, fatal: func(error) {}}
	send(a, request{Op: opUnpack})
	if err := s.serve(); err == nil || !strings.Contains(err.Error(), `not "go"`) {
		t.Errorf("serve: %v", err)
	}
}
