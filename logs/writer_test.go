package logs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	long := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB, no newline
	tests := []struct {
		name   string
		writes [][2]string // stream, bytes
	}{
		{"lines", [][2]string{{"stdout", "a\nb\n"}, {"stderr", "c\n"}}},
		{"prompt without newline", [][2]string{{"stdout", "name? "}}},
		{"line in pieces", [][2]string{{"stdout", "he"}, {"stderr", "E1\n"}, {"stdout", "llo\nwor"}, {"stdout", "ld\n"}}},
		{"empty lines and CRLF", [][2]string{{"stdout", "\n\n\r\n \n"}}},
		{"binary", [][2]string{{"stdout", string(binary)}, {"stderr", "\xff\xfe\x00\x1b[31m\n"}}},
		{"1 MiB line", [][2]string{{"stdout", long[:300000]}, {"stdout", long[300000:]}, {"stdout", "\n"}}},
		{"1 MiB in one write", [][2]string{{"stderr", long + "\nend"}}},
		{"record separator lookalike", [][2]string{{"stdout", "2024-05-01T12:00:00.000000000Z stderr F x\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := logPath(t)
			w := openLog(t, path, 0)
			want := map[string]string{}
			for _, wr := range tt.writes {
				write(t, w, wr[0], wr[1])
				want[wr[0]] += wr[1]
			}
			out, errOut := readLog(t, path, Options{Tail: AllLines})
			if out != want["stdout"] || errOut != want["stderr"] {
				t.Errorf("read back stdout %.80q stderr %.80q, want %.80q and %.80q", out, errOut, want["stdout"], want["stderr"])
			}
		})
	}
}

func TestFileFormat(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 0)
	w.now = func() time.Time { return time.Date(2024, 5, 1, 14, 0, 0, 5, time.FixedZone("CEST", 7200)) }
	write(t, w, "stdout", "hello\nPassword: ")
	write(t, w, "stderr", "oops\n")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "2024-05-01T12:00:00.000000005Z stdout F hello\n" +
		"2024-05-01T12:00:00.000000005Z stdout P Password: \n" +
		"2024-05-01T12:00:00.000000005Z stderr F oops\n"
	if string(got) != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestConcurrentStreams(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 0)
	var wg sync.WaitGroup
	want := map[string]string{}
	for _, stream := range []string{"stdout", "stderr"} {
		var all strings.Builder
		for i := range 2000 {
			// Pieces that end mid-line as often as at a newline.
			fmt.Fprintf(&all, "%s %d", stream, i)
			if i%3 == 0 {
				all.WriteString("\n")
			}
		}
		want[stream] = all.String()
		wg.Add(1)
		go func(s string) {
			defer wg.Done()
			sw := w.Stream(stream)
			for s != "" {
				n := min(len(s), 7)
				if _, err := sw.Write([]byte(s[:n])); err != nil {
					t.Error(err)
					return
				}
				s = s[n:]
			}
		}(all.String())
	}
	wg.Wait()
	out, errOut := readLog(t, path, Options{Tail: AllLines})
	if out != want["stdout"] || errOut != want["stderr"] {
		t.Errorf("streams mixed or out of order:\nstdout %.200q\nstderr %.200q", out, errOut)
	}
}

func TestStreamUnknownPanics(t *testing.T) {
	w := openLog(t, logPath(t), 0)
	defer func() {
		if recover() == nil {
			t.Error("Stream(\"stdin\") did not panic")
		}
	}()
	w.Stream("stdin")
}

func TestWriteAfterClose(t *testing.T) {
	w := openLog(t, logPath(t), 0)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Stream("stdout").Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after close: %v, want ErrClosed", err)
	}
}

func TestOpenAfterTornRecord(t *testing.T) {
	path := logPath(t)
	writeRecords(t, path, rec(0, stdout, true, "kept"))
	appendFile(t, path, "2024-05-01T12:00:01.000000000Z stdout F half of a rec")
	w := openLog(t, path, 0)
	write(t, w, "stdout", "next\n")
	out, _ := readLog(t, path, Options{Tail: AllLines})
	if out != "kept\nnext\n" {
		t.Errorf("after a torn record: %q, want %q", out, "kept\nnext\n")
	}
	if prev, err := os.ReadFile(Previous(path)); err != nil || !bytes.HasSuffix(prev, []byte("half of a rec")) {
		t.Errorf("the torn record is not left at the end of the previous file: %q, %v", prev, err)
	}
}

func TestRemove(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 100)
	write(t, w, "stdout", strings.Repeat("some line\n", 5))
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, Previous(path)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", p, err)
		}
	}
	if err := Remove(path); err != nil {
		t.Errorf("removing a removed log: %v", err)
	}
}

func TestRotation(t *testing.T) {
	path := logPath(t)
	const limit = 500
	w := openLog(t, path, limit)
	var all bytes.Buffer
	for i := range 100 {
		line := fmt.Sprintf("line %03d\n", i)
		write(t, w, "stdout", line)
		all.WriteString(line)
	}
	for _, p := range []string{path, Previous(path)} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > limit || st.Size() == 0 {
			t.Errorf("%s: %d bytes, want 1..%d", p, st.Size(), limit)
		}
	}
	out, _ := readLog(t, path, Options{Tail: AllLines})
	// The two files hold more than one cap's worth of records.
	perFile := limit / len(appendRecord(nil, rec(0, stdout, true, "line 000")))
	if !strings.HasSuffix(all.String(), out) || !strings.HasPrefix(out, "line ") || strings.Count(out, "\n") <= perFile {
		t.Errorf("after rotation read %q, want more than %d whole lines that end what was written", out, perFile)
	}
	if out, _ := readLog(t, path, Options{Tail: 3}); out != "line 097\nline 098\nline 099\n" {
		t.Errorf("tail 3 after rotation: %q", out)
	}
}

func TestRotationTailSpansBothFiles(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 200)
	for i := range 7 {
		write(t, w, "stdout", fmt.Sprintf("line %d\n", i))
	}
	cur, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(cur, []byte("\n"))
	if n < 1 || n >= 5 {
		t.Fatalf("current file has %d records; the test wants it to hold 1..4", n)
	}
	want := "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n"
	if out, _ := readLog(t, path, Options{Tail: 6}); out != want {
		t.Errorf("tail 6: %q, want %q", out, want)
	}
}

func TestRecordLargerThanCap(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 10)
	write(t, w, "stdout", "first\nsecond\n")
	out, _ := readLog(t, path, Options{Tail: AllLines})
	if out != "first\nsecond\n" {
		t.Errorf("read %q: each file must hold at least one record", out)
	}
}
