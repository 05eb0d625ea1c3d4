package logs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer a follower writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func logPath(t *testing.T) string { return filepath.Join(t.TempDir(), "ctr.log") }

func openLog(t *testing.T, path string, maxSize int64) *Writer {
	t.Helper()
	w, err := Open(path, maxSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func write(t *testing.T, w *Writer, stream, s string) {
	t.Helper()
	if _, err := w.Stream(stream).Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func readLog(t *testing.T, path string, opts Options) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	if err := Read(context.Background(), path, opts, &o, &e); err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String()
}

// writeRecords writes a log by hand: records at chosen times.
func writeRecords(t *testing.T, path string, recs ...record) {
	t.Helper()
	var b []byte
	for _, r := range recs {
		b = appendRecord(b, r)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// follower runs Read with Follow until the test sets gone.
type follower struct {
	out, errOut syncBuffer
	gone        chan struct{}
	result      chan error
}

func startFollow(t *testing.T, path string, opts Options) *follower {
	t.Helper()
	f := &follower{gone: make(chan struct{}), result: make(chan error, 1)}
	opts.Follow = true
	opts.Done = func() bool {
		select {
		case <-f.gone:
			return true
		default:
			return false
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	go func() { f.result <- Read(ctx, path, opts, &f.out, &f.errOut) }()
	return f
}

// stop tells the follower the writer is gone and waits for it to finish.
func (f *follower) stop(t *testing.T) {
	t.Helper()
	close(f.gone)
	if err := <-f.result; err != nil {
		t.Fatal(err)
	}
}

// waitFor waits until the follower has printed want on stdout.
func (f *follower) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.out.String() != want {
		if time.Now().After(deadline) {
			t.Fatalf("follower printed %q, want %q", f.out.String(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func at(sec int) time.Time { return time.Date(2024, 5, 1, 12, 0, sec, 0, time.UTC) }

func rec(sec int, stream int, full bool, data string) record {
	return record{time: at(sec), stream: stream, full: full, data: []byte(data)}
}

// wantParseError wants err to be one line that names the bad value and
// shows the accepted forms, of which example is one.
func wantParseError(t *testing.T, fn, in string, err error, example string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s(%q): no error", fn, in)
		return
	}
	msg := err.Error()
	if !strings.Contains(msg, strconv.Quote(in)) || !strings.Contains(msg, example) || strings.Contains(msg, "\n") {
		t.Errorf("%s(%q) error %q: want one line naming the value and the accepted forms", fn, in, msg)
	}
}
