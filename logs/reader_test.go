package logs

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func TestReadSelection(t *testing.T) {
	// Two stdout lines written in pieces around a stderr line.
	recs := []record{
		rec(1, stdout, true, "one"),
		rec(2, stdout, false, "tw"),
		rec(3, stderr, true, "err"),
		rec(4, stdout, true, "o"),
		rec(5, stdout, true, "three"),
		rec(6, stderr, false, "prompt> "),
	}
	tests := []struct {
		name        string
		opts        Options
		out, errOut string
	}{
		{"all", Options{Tail: AllLines}, "one\ntwo\nthree\n", "err\nprompt> "},
		{"tail 0", Options{Tail: 0}, "", ""},
		{"tail 1 is the unfinished prompt", Options{Tail: 1}, "", "prompt> "},
		{"tail 3", Options{Tail: 3}, "three\n", "err\nprompt> "},
		{"tail 4 joins pieces, counts lines in order of their start", Options{Tail: 4}, "two\nthree\n", "err\nprompt> "},
		{"tail beyond", Options{Tail: 100}, "one\ntwo\nthree\n", "err\nprompt> "},
		{"since keeps whole lines", Options{Tail: AllLines, Since: at(3)}, "three\n", "err\nprompt> "},
		{"since is inclusive", Options{Tail: AllLines, Since: at(2)}, "two\nthree\n", "err\nprompt> "},
		{"since and tail", Options{Tail: 2, Since: at(2)}, "three\n", "prompt> "},
		{"since after all", Options{Tail: AllLines, Since: at(7)}, "", ""},
		{"timestamps once a line", Options{Tail: 2, Timestamps: true},
			"2024-05-01T12:00:05.000000000Z three\n", "2024-05-01T12:00:06.000000000Z prompt> "},
		{"timestamps of a line in pieces", Options{Tail: AllLines, Since: at(2), Timestamps: true},
			"2024-05-01T12:00:02.000000000Z two\n2024-05-01T12:00:05.000000000Z three\n",
			"2024-05-01T12:00:03.000000000Z err\n2024-05-01T12:00:06.000000000Z prompt> "},
	}
	path := logPath(t)
	writeRecords(t, path, recs...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut := readLog(t, path, tt.opts)
			if out != tt.out || errOut != tt.errOut {
				t.Errorf("stdout %q stderr %q, want %q and %q", out, errOut, tt.out, tt.errOut)
			}
		})
	}
}

func TestReadTimestampsFromWriter(t *testing.T) {
	path := logPath(t)
	w := openLog(t, path, 0)
	w.now = func() time.Time { return time.Unix(1700000000, 120).In(time.FixedZone("X", -3600)) }
	write(t, w, "stdout", "a\n")
	out, _ := readLog(t, path, Options{Tail: AllLines, Timestamps: true})
	if want := "2023-11-14T22:13:20.000000120Z a\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestReadSkipsTornAndMalformed(t *testing.T) {
	path := logPath(t)
	writeRecords(t, path, rec(1, stdout, true, "a"))
	appendFile(t, path, "not a record\n2024-05-01T12:00:02Z stdin F x\n2024-05-01T12:00:02Z stdout X x\n")
	appendFile(t, path, string(appendRecord(nil, rec(3, stdout, true, "b"))))
	appendFile(t, path, "2024-05-01T12:00:04.000000000Z stdout F torn") // writer killed mid-write
	out, _ := readLog(t, path, Options{Tail: AllLines})
	if out != "a\nb\n" {
		t.Errorf("got %q, want %q", out, "a\nb\n")
	}
	if out, _ := readLog(t, path, Options{Tail: 1}); out != "b\n" {
		t.Errorf("tail 1 counted the torn record: %q", out)
	}
}

func TestReadSkipsOverlongLine(t *testing.T) {
	// Longer than any record, shorter than one read, and longer than that.
	for _, n := range []int{3 * maxLine, 3 * readChunk} {
		path := logPath(t)
		writeRecords(t, path, rec(1, stdout, true, "a"))
		appendFile(t, path, "2024-05-01T12:00:02Z stdout F "+strings.Repeat("x", n)+"\n")
		appendFile(t, path, string(appendRecord(nil, rec(3, stdout, true, "b"))))
		if out, _ := readLog(t, path, Options{Tail: AllLines}); out != "a\nb\n" {
			t.Errorf("line of %d bytes: got %.40q, want %q", n, out, "a\nb\n")
		}
	}
}

func TestReadMissingLog(t *testing.T) {
	var o, e syncBuffer
	err := Read(t.Context(), logPath(t), Options{Tail: AllLines}, &o, &e)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing log: %v, want ErrNotExist", err)
	}
}

func TestReadPreviousOnly(t *testing.T) {
	// Between the writer's rename and its new file only NAME.1 exists.
	path := logPath(t)
	writeRecords(t, Previous(path), rec(1, stdout, true, "old"))
	if out, _ := readLog(t, path, Options{Tail: AllLines}); out != "old\n" {
		t.Errorf("got %q", out)
	}
}
