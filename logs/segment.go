package logs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

const (
	readChunk = 64 << 10
	// maxLine is more than any record this package writes; a longer line
	// is not one of its records and is skipped without being buffered.
	maxLine = maxData + 1024
)

// segment reads the lines of one log file, in place, so that it can go on
// where it stopped when the file grows.
type segment struct {
	f    *os.File
	info fs.FileInfo // to tell whether the log's name still points here
	done int64       // the offset after the last line returned
	buf  []byte      // the bytes after done that were read: no whole line
	mem  []byte
	skip bool  // inside an overlong line, dropping it
	end  int64 // read no further; negative: up to the end of the file
}

// openSegment opens path for reading up to its current size; a missing
// file is nil.
func openSegment(path string) (*segment, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	return &segment{f: f, info: st, end: st.Size()}, nil
}

// line returns the next whole line without its newline, valid until the
// next call, or nil when the file has no more whole lines yet.
func (s *segment) line() ([]byte, error) {
	for {
		if i := bytes.IndexByte(s.buf, '\n'); i >= 0 {
			line := s.buf[:i]
			s.buf = s.buf[i+1:]
			s.done += int64(i) + 1
			if s.skip || i > maxLine {
				s.skip = false
				continue
			}
			return line, nil
		}
		if n, err := s.fill(); n == 0 || err != nil {
			return nil, err
		}
	}
}

// fill reads more of the file after buf.
func (s *segment) fill() (int, error) {
	if len(s.buf) > maxLine {
		s.done += int64(len(s.buf))
		s.buf, s.skip = s.buf[:0], true
	}
	off := s.done + int64(len(s.buf))
	want := int64(readChunk)
	if s.end >= 0 {
		want = min(want, s.end-off)
	}
	if want <= 0 {
		return 0, nil
	}
	if s.mem == nil {
		s.mem = make([]byte, maxLine+readChunk+1)
	}
	kept := copy(s.mem, s.buf)
	n, err := s.f.ReadAt(s.mem[kept:kept+int(want)], off)
	s.buf = s.mem[:kept+n]
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("read log %s: %w", s.f.Name(), err)
	}
	return n, nil
}

// rewind goes back to the start of the file.
func (s *segment) rewind() {
	s.done, s.buf, s.skip = 0, s.buf[:0], false
}

func (s *segment) close() { s.f.Close() }
