package logs

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// batchLimit is how much a Writer gathers before it writes: one write(2)
// for a pipe's read, not one per line.
const batchLimit = 64 << 10

// Writer appends a container's output to its log. Its streams may be used
// from several goroutines at once.
type Writer struct {
	path string
	max  int64
	now  func() time.Time

	mu    sync.Mutex
	f     *os.File // nil once closed
	size  int64
	batch []byte
}

// Open opens the log at path for appending, creating it with mode 0600.
// maxSize caps the file in bytes (see ParseSize); zero or less means no
// cap.
//
// If the previous writer was killed in the middle of a record, Open starts
// a new file and leaves the torn record at the end of the previous one,
// where readers know to skip it. Cutting it off instead would let a
// follower holding its first half join it to whatever comes next.
func Open(path string, maxSize int64) (*Writer, error) {
	f, size, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: path, max: maxSize, now: time.Now, f: f, size: size}
	torn, err := endsTorn(f, size)
	if err == nil && torn {
		err = w.rotate()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Stream returns the writer of one stream, "stdout" or "stderr"; any
// other name is a programming error and panics. A failed write returns
// the error and writes nothing more of that call.
func (w *Writer) Stream(name string) io.Writer {
	for i, n := range streamNames {
		if n == name {
			return streamWriter{w: w, stream: i}
		}
	}
	panic("logs: unknown stream " + strconv.Quote(name))
}

// Close closes the file; later writes fail.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("close log %s: %w", w.path, err)
	}
	return nil
}

type streamWriter struct {
	w      *Writer
	stream int
}

func (s streamWriter) Write(p []byte) (int, error) {
	if err := s.w.write(s.stream, s.w.now(), p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *Writer) write(stream int, t time.Time, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("write log %s: %w", w.path, os.ErrClosed)
	}
	w.batch = w.batch[:0]
	for len(p) > 0 {
		var r record
		r, p = cutRecord(stream, t, p)
		if err := w.add(r); err != nil {
			return err
		}
	}
	return w.flush(len(w.batch))
}

// add appends r to the batch, first writing out the batch and rotating if
// r would take the file past the cap. A file holds at least one record,
// even one larger than the cap.
func (w *Writer) add(r record) error {
	start := len(w.batch)
	w.batch = appendRecord(w.batch, r)
	if w.max > 0 && w.size+int64(len(w.batch)) > w.max && w.size+int64(start) > 0 {
		if err := w.flush(start); err != nil {
			return err
		}
		return w.rotate()
	}
	if len(w.batch) >= batchLimit {
		return w.flush(len(w.batch))
	}
	return nil
}

// flush writes the first n bytes of the batch and keeps the rest.
func (w *Writer) flush(n int) error {
	if n == 0 {
		return nil
	}
	m, err := w.f.Write(w.batch[:n])
	w.size += int64(m)
	w.batch = w.batch[:copy(w.batch, w.batch[n:])]
	if err != nil {
		return fmt.Errorf("write log %s: %w", w.path, err)
	}
	return nil
}

// rotate moves the file to path.1 and starts a new one. The rename comes
// after the last write to the old file: a reader that sees path change can
// finish the old file and know it has everything.
func (w *Writer) rotate() error {
	if err := os.Rename(w.path, Previous(w.path)); err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	f, size, err := openAppend(w.path)
	if err != nil {
		return err
	}
	w.f.Close()
	w.f, w.size = f, size
	return nil
}

// Previous is the name of the file a log at path rotates to.
func Previous(path string) string { return path + ".1" }

// Remove removes the log at path and its previous file, if they exist.
func Remove(path string) error {
	for _, p := range []string{path, Previous(path)} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove log: %w", err)
		}
	}
	return nil
}

func openAppend(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("open log %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("open log %s: %w", path, err)
	}
	return f, st.Size(), nil
}

// endsTorn reports whether the file's last record lacks its newline: a
// writer killed in the middle of a write left it.
func endsTorn(f *os.File, size int64) (bool, error) {
	if size == 0 {
		return false, nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return false, fmt.Errorf("read log %s: %w", f.Name(), err)
	}
	return last[0] != '\n', nil
}
