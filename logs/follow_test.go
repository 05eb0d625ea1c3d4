package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestFollowSeesAppendsAndStopsWhenDone(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 0)
	write(t, w, "stdout", "old 1\nold 2\n")
	f := startFollow(t, path, Options{Tail: 1})
	f.waitFor(t, "old 2\n")
	write(t, w, "stdout", "prompt> ")
	f.waitFor(t, "old 2\nprompt> ") // a partial line is printed at once
	write(t, w, "stdout", "answer\n")
	write(t, w, "stderr", "warning\n")
	f.waitFor(t, "old 2\nprompt> answer\n")
	// Written just before the writer is gone: still printed.
	write(t, w, "stdout", "last\n")
	f.stop(t)
	if got, want := f.out.String(), "old 2\nprompt> answer\nlast\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if got := f.errOut.String(); got != "warning\n" {
		t.Errorf("stderr %q", got)
	}
}

func TestFollowWaitsForTornRecord(t *testing.T) {
	path := logPath(t)
	writeRecords(t, path, rec(1, stdout, true, "a"))
	appendFile(t, path, "2024-05-01T12:00:02.000000000Z stdout F hal") // mid-write
	f := startFollow(t, path, Options{Tail: AllLines})
	f.waitFor(t, "a\n")
	time.Sleep(2 * pollInterval)
	appendFile(t, path, "f\n")
	f.waitFor(t, "a\nhalf\n")
	f.stop(t)
}

func TestFollowDropsTornRecordOfDeadWriter(t *testing.T) {
	path := logPath(t)
	writeRecords(t, path, rec(1, stdout, true, "a"))
	appendFile(t, path, "2024-05-01T12:00:02.000000000Z stdout F hal") // SIGKILLed
	f := startFollow(t, path, Options{Tail: AllLines})
	f.waitFor(t, "a\n")
	f.stop(t)
	if got := f.out.String(); got != "a\n" {
		t.Errorf("got %q", got)
	}
}

func TestFollowAfterNewWriterPastTornRecord(t *testing.T) {
	// A restarted container's new supervisor writes after the torn record
	// the killed one left, while a follower holds half of it.
	path := logPath(t)
	writeRecords(t, path, rec(1, stdout, true, "a"))
	appendFile(t, path, "2024-05-01T12:00:02.000000000Z stdout F hal")
	f := startFollow(t, path, Options{Tail: AllLines})
	f.waitFor(t, "a\n")
	time.Sleep(2 * pollInterval)
	w := openLog(t, path, 0)
	more := strings.Repeat("b", 100) + "\n" + strings.Repeat("c", 100) + "\n"
	write(t, w, "stdout", more)
	f.waitFor(t, "a\n"+more)
	f.stop(t)
}

func TestFollowLogNotYetCreated(t *testing.T) {
	path := logPath(t)
	f := startFollow(t, path, Options{Tail: AllLines})
	time.Sleep(2 * pollInterval)
	w := openLog(t, path, 0)
	write(t, w, "stdout", "hi\n")
	f.waitFor(t, "hi\n")
	f.stop(t)
}

func TestFollowEndsWithContext(t *testing.T) {
	path := logPath(t)
	openLog(t, path, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 3*pollInterval)
	defer cancel()
	var o, e syncBuffer
	err := Read(ctx, path, Options{Tail: AllLines, Follow: true}, &o, &e)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("follow without Done: %v, want the context's error", err)
	}
}

func TestFollowAcrossRotations(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 1000) // about 20 lines a file
	write(t, w, "stdout", "line 0000\n")
	f := startFollow(t, path, Options{Tail: AllLines})
	var want strings.Builder
	want.WriteString("line 0000\n")
	for i := 1; i < 200; i++ {
		line := fmt.Sprintf("line %04d\n", i)
		want.WriteString(line)
		write(t, w, "stdout", line)
		if i%10 == 0 {
			time.Sleep(pollInterval) // a rotation about every other look
		}
	}
	f.stop(t)
	if got := f.out.String(); got != want.String() {
		t.Errorf("lost or repeated records across rotation:\n%s", diffLines(got, want.String()))
	}
	if _, err := os.Stat(Previous(path)); err != nil {
		t.Errorf("no rotation happened: %v", err)
	}
}

// Two rotations between two looks: the middle file is read on the way.
func TestFollowTwoRotationsBetweenLooks(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 100) // two records a file
	write(t, w, "stdout", "a\n")
	var out, errOut syncBuffer
	r, err := openReader(path, Options{Tail: AllLines, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	r.out = [2]io.Writer{&out, &errOut}
	look := func() {
		t.Helper()
		if err := r.drain(); err != nil {
			t.Fatal(err)
		}
		for moved := true; moved; {
			if moved, err = r.advance(); err != nil {
				t.Fatal(err)
			}
			if err := r.drain(); err != nil {
				t.Fatal(err)
			}
		}
	}
	look()
	write(t, w, "stdout", "b\nc\nd\ne\n") // a b | c d | e
	look()
	if got, want := out.String(), "a\nb\nc\nd\ne\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}
