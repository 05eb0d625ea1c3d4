package logs

import "time"

// lineFilter takes or leaves whole lines: a line is the records of one
// stream up to one that ends a line, judged by its first record, so that
// --since and --tail never cut one in two.
type lineFilter struct {
	since time.Time
	skip  int // lines still to leave for --tail
	lines int // lines taken
	open  [2]bool
	take  [2]bool
}

// admit reports whether r is shown and whether it starts a line.
func (f *lineFilter) admit(r record) (take, start bool) {
	s := r.stream
	start = !f.open[s]
	if start {
		f.take[s] = f.starts(r.time)
	}
	f.open[s] = !r.full
	return f.take[s], start
}

func (f *lineFilter) starts(t time.Time) bool {
	if t.Before(f.since) {
		return false
	}
	if f.skip > 0 {
		f.skip--
		return false
	}
	f.lines++
	return true
}
