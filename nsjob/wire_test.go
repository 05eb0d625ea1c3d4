package nsjob

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"nook/layer"
)

func pair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func TestWireRoundTrip(t *testing.T) {
	a, b := pair(t)
	want := reply{ID: 7, Result: &UnpackResult{Result: layer.Result{Files: 2, DiffID: "sha256:ab"}, Notes: []string{"n"}}}
	if err := send(a, want); err != nil {
		t.Fatal(err)
	}
	var got reply
	if err := recv(b, make([]byte, maxMsg), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != 7 || got.Result == nil || got.Result.Files != 2 || got.Result.DiffID != "sha256:ab" || got.Result.Notes[0] != "n" {
		t.Errorf("got %+v %+v", got, got.Result)
	}
}

func TestWireEOFAndTruncation(t *testing.T) {
	a, b := pair(t)
	if err := send(a, request{Op: strings.Repeat("x", 100)}); err != nil {
		t.Fatal(err)
	}
	var req request
	if err := recv(b, make([]byte, 16), &req); err == nil || !strings.Contains(err.Error(), "larger than 16") {
		t.Errorf("short buffer: err = %v", err)
	}
	unix.Shutdown(a, unix.SHUT_WR)
	if err := recv(b, make([]byte, maxMsg), &req); !errors.Is(err, io.EOF) {
		t.Errorf("after shutdown: err = %v, want EOF", err)
	}
	if err := send(a, request{Op: strings.Repeat("x", maxMsg)}); !errors.Is(err, errTooLarge) {
		t.Errorf("huge message: err = %v", err)
	}
}

// TestErrorKindsCrossTheSocket: the CLI tells a hostile or cut layer by
// errors.Is, and prints the message as layer wrote it.
func TestErrorKindsCrossTheSocket(t *testing.T) {
	for _, sentinel := range []error{layer.ErrUnsafe, layer.ErrTruncated} {
		orig := fmt.Errorf("layer l: entry %q: %w", "x", sentinel)
		err := errorReply(1, orig).err()
		if !errors.Is(err, sentinel) || err.Error() != orig.Error() {
			t.Errorf("%v came back as %v", orig, err)
		}
	}
	err := errorReply(1, errors.New("plain")).err()
	if errors.Is(err, layer.ErrUnsafe) || errors.Is(err, layer.ErrTruncated) || err.Error() != "plain" {
		t.Errorf("plain error came back as %#v", err)
	}
	if (reply{}).err() != nil {
		t.Error("an empty reply is an error")
	}
}

func TestShrinkFitsAHostileReply(t *testing.T) {
	long := strings.Repeat("\x01", 50000) // JSON escapes each as \u0001
	var notes []string
	for range 200 {
		notes = append(notes, long)
	}
	rep := reply{ID: 1, Err: long, Result: &UnpackResult{Notes: capNotes(notes)}}
	a, b := pair(t)
	if err := send(a, rep); !errors.Is(err, errTooLarge) {
		t.Fatalf("unshrunk: %v", err)
	}
	if err := send(a, shrink(rep)); err != nil {
		t.Fatalf("shrunk: %v", err)
	}
	var got reply
	if err := recv(b, make([]byte, maxMsg), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Result.Notes) != 11 || !strings.HasSuffix(got.Err, "...") {
		t.Errorf("%d notes, err %d bytes", len(got.Result.Notes), len(got.Err))
	}
}

func TestCapNotes(t *testing.T) {
	var notes []string
	for i := range maxNotes + 5 {
		notes = append(notes, fmt.Sprint(i))
	}
	got := capNotes(notes)
	if len(got) != maxNotes || got[maxNotes-1] != "(6 more notes not shown)" {
		t.Errorf("got %d notes, last %q", len(got), got[len(got)-1])
	}
	if len(capNotes(notes[:3])) != 3 {
		t.Error("short list changed")
	}
}

// closeSocket is what the helper's death does to its end.
func closeSocket(fd int) { unix.Shutdown(fd, unix.SHUT_RDWR) }
