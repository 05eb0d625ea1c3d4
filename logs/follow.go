package logs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// pollInterval is how often a follower looks for more: a stat of the
// log's name, cheap enough, and fsnotify is not among nook's modules.
const pollInterval = 50 * time.Millisecond

// follow prints records as they come. Whether the writer is gone is asked
// before the file is read: once it is, that read has everything.
func (r *reader) follow(ctx context.Context, done func() bool) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		gone := done != nil && done()
		if err := r.drain(); err != nil {
			return err
		}
		moved, err := r.advance()
		if err != nil {
			return err
		}
		if moved {
			continue
		}
		if gone {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// advance moves on to the log's new file once the writer has rotated, and
// reports whether it did.
func (r *reader) advance() (bool, error) {
	st, err := os.Stat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // between the writer's rename and its new file
	}
	if err != nil {
		return false, fmt.Errorf("follow log: %w", err)
	}
	if len(r.segs) > 0 && os.SameFile(st, r.last().info) {
		return false, nil
	}
	// The old file is complete: take what was written since the last read.
	if err := r.drain(); err != nil {
		return false, err
	}
	return true, r.openNext()
}

// openNext replaces the finished file with the log's current one, and
// with the previous one before it if that is neither: the writer rotated
// twice since the last look.
func (r *reader) openNext() error {
	cur, err := openSegment(r.path)
	if err != nil || cur == nil {
		return err
	}
	prev, err := openSegment(Previous(r.path))
	if err != nil {
		r.closeSegs(cur)
		return err
	}
	if prev != nil && (sameFile(prev, cur.info) || len(r.segs) > 0 && sameFile(prev, r.last().info)) {
		r.closeSegs(prev)
		prev = nil
	}
	r.close()
	r.segs = nonNil(prev, cur)
	r.last().end = -1
	return nil
}

func sameFile(s *segment, info fs.FileInfo) bool { return os.SameFile(s.info, info) }
