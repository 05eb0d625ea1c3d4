package logs

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// AllLines is Options.Tail for the whole log.
const AllLines = -1

// Options say what Read prints.
type Options struct {
	// Tail is how many lines to print from the end, counted across the
	// previous file and the current one; AllLines (any negative number)
	// prints all, 0 none (with Follow: only what comes next).
	Tail int
	// Since leaves out lines that started before it; zero leaves none out.
	Since time.Time
	// Timestamps prefixes each line with its time and a space, as
	// `docker logs -t` does.
	Timestamps bool
	// Follow keeps printing what is written until Done reports the writer
	// gone, or the context ends.
	Follow bool
	// Done reports that the writer has stopped for good (the container
	// exited); it is asked every poll. Nil follows until the context ends.
	Done func() bool
}

// Read prints the log at path: stdout's records to stdout, stderr's to
// stderr. With Follow it returns nil once Done is true and everything
// written before has been printed, or the context's error when it ends
// first. Without Follow, a log that does not exist is an error matching
// fs.ErrNotExist.
func Read(ctx context.Context, path string, opts Options, stdout, stderr io.Writer) error {
	r, err := openReader(path, opts)
	if err != nil {
		return err
	}
	defer r.close()
	r.out = [2]io.Writer{stdout, stderr}
	if err := r.startAtTail(opts.Tail); err != nil {
		return err
	}
	if !opts.Follow {
		return r.drain()
	}
	return r.follow(ctx, opts.Done)
}

// reader prints records from the log's files in order.
type reader struct {
	path  string
	segs  []*segment // oldest first; the last one is the writer's
	out   [2]io.Writer
	ts    bool
	lines lineFilter
	text  []byte
}

// openReader opens the current file before the previous one: if the
// writer rotates in between, both names point at one file, which is read
// once, instead of missing the file that was current.
func openReader(path string, opts Options) (*reader, error) {
	r := &reader{path: path, ts: opts.Timestamps, lines: lineFilter{since: opts.Since}}
	cur, err := openSegment(path)
	if err != nil {
		return nil, err
	}
	prev, err := openSegment(Previous(path))
	if err != nil {
		r.closeSegs(cur)
		return nil, err
	}
	if prev != nil && cur != nil && sameFile(prev, cur.info) {
		r.closeSegs(prev)
		prev = nil
	}
	r.segs = nonNil(prev, cur)
	if len(r.segs) == 0 && !opts.Follow {
		return nil, fmt.Errorf("open log %s: %w", path, fs.ErrNotExist)
	}
	if opts.Follow && len(r.segs) > 0 {
		r.last().end = -1
	}
	return r, nil
}

// startAtTail counts the lines there are and arranges to leave all but
// the last n of them.
func (r *reader) startAtTail(n int) error {
	if n < 0 {
		return nil
	}
	count := lineFilter{since: r.lines.since}
	for _, s := range r.segs {
		end := s.end
		s.end = s.info.Size()
		err := eachRecord(s, func(rec record) error {
			count.admit(rec)
			return nil
		})
		s.end = end
		s.rewind()
		if err != nil {
			return err
		}
	}
	r.lines.skip = max(0, count.lines-n)
	return nil
}

// drain prints every whole record there is now and closes the files
// before the writer's: they are complete.
func (r *reader) drain() error {
	for len(r.segs) > 0 {
		if err := eachRecord(r.segs[0], r.emit); err != nil {
			return err
		}
		if len(r.segs) == 1 {
			return nil
		}
		r.segs[0].close()
		r.segs = r.segs[1:]
	}
	return nil
}

// eachRecord calls fn with each whole record of s, skipping lines that
// are no records.
func eachRecord(s *segment, fn func(record) error) error {
	for {
		line, err := s.line()
		if line == nil || err != nil {
			return err
		}
		rec, err := parseRecord(line)
		if err != nil {
			continue
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

func (r *reader) emit(rec record) error {
	take, start := r.lines.admit(rec)
	if !take {
		return nil
	}
	b := r.text[:0]
	if start && r.ts {
		b = rec.time.UTC().AppendFormat(b, tsLayout)
		b = append(b, ' ')
	}
	b = append(b, rec.data...)
	if rec.full {
		b = append(b, '\n')
	}
	r.text = b
	if _, err := r.out[rec.stream].Write(b); err != nil {
		return fmt.Errorf("print %s: %w", streamNames[rec.stream], err)
	}
	return nil
}

func (r *reader) last() *segment { return r.segs[len(r.segs)-1] }

func (r *reader) close() { r.closeSegs(r.segs...) }

func (r *reader) closeSegs(segs ...*segment) {
	for _, s := range segs {
		if s != nil {
			s.close()
		}
	}
}

func nonNil(segs ...*segment) []*segment {
	var out []*segment
	for _, s := range segs {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}
