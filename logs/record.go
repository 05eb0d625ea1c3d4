package logs

import (
	"bytes"
	"errors"
	"time"
)

// Streams, as indexes into a reader's outputs.
const (
	stdout = iota
	stderr
)

var streamNames = [...]string{stdout: "stdout", stderr: "stderr"}

// tsLayout is RFC 3339 with a fixed nine-digit fraction: the width does not
// depend on the time, and it is what `docker logs -t` prints.
const tsLayout = "2006-01-02T15:04:05.000000000Z07:00"

// maxData bounds the content of one record, so that a reader needs a
// bounded buffer and a long line cannot hold the file past its cap.
const maxData = 16 << 10

// record is one line of the file.
type record struct {
	time   time.Time
	stream int
	full   bool // the record ends a line; the newline is not in data
	data   []byte
}

var errMalformed = errors.New("malformed log record")

func appendRecord(dst []byte, r record) []byte {
	dst = r.time.UTC().AppendFormat(dst, tsLayout)
	dst = append(dst, ' ')
	dst = append(dst, streamNames[r.stream]...)
	if r.full {
		dst = append(dst, " F "...)
	} else {
		dst = append(dst, " P "...)
	}
	dst = append(dst, r.data...)
	return append(dst, '\n')
}

// parseRecord reads a line without its newline. The record's data aliases
// line.
func parseRecord(line []byte) (record, error) {
	ts, rest, ok1 := bytes.Cut(line, []byte{' '})
	name, rest, ok2 := bytes.Cut(rest, []byte{' '})
	tag, data, ok3 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || !ok3 || len(tag) != 1 || (tag[0] != 'F' && tag[0] != 'P') {
		return record{}, errMalformed
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return record{}, errMalformed
	}
	r := record{time: t, stream: -1, full: tag[0] == 'F', data: data}
	for i, n := range streamNames {
		if string(name) == n {
			r.stream = i
		}
	}
	if r.stream < 0 {
		return record{}, errMalformed
	}
	return r, nil
}

// cutRecord takes the next record off p: its bytes up to the first
// newline, at most maxData of them.
func cutRecord(stream int, t time.Time, p []byte) (record, []byte) {
	r := record{time: t, stream: stream}
	n := bytes.IndexByte(p, '\n')
	switch {
	case n >= 0 && n <= maxData:
		r.data, r.full = p[:n], true
		return r, p[n+1:]
	case len(p) <= maxData:
		r.data = p
		return r, nil
	default:
		r.data = p[:maxData]
		return r, p[maxData:]
	}
}
