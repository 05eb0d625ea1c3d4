package userns

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
)

// Range is one line of /etc/subuid or /etc/subgid.
type Range struct{ Start, Count uint32 }

// ParseSubIDs returns the ranges in r (the format of subuid(5)) that belong to
// the user named name or to the numeric uid (either form may appear in the
// file). Malformed lines are skipped, comments (#) ignored.
func ParseSubIDs(r io.Reader, name string, id uint32) ([]Range, error) {
	uid := strconv.FormatUint(uint64(id), 10)
	var ranges []Range
	// bufio.Reader rather than Scanner: a single over-long garbage line must
	// be skipped like any other malformed line, not abort the whole parse.
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if owner, rg, ok := parseSubIDLine(line); ok && (owner == uid || (name != "" && owner == name)) {
			ranges = append(ranges, rg)
		}
		if errors.Is(err, io.EOF) {
			return ranges, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseSubIDLine splits "owner:start:count". Ranges that are empty or would
// reach id 4294967295 (the kernel's "no id", (uid_t)-1) are rejected here so
// that nothing downstream can plan a map the kernel refuses.
func parseSubIDLine(line string) (owner string, rg Range, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", Range{}, false
	}
	fields := strings.Split(line, ":")
	if len(fields) != 3 || fields[0] == "" {
		return "", Range{}, false
	}
	start, err1 := strconv.ParseUint(strings.TrimSpace(fields[1]), 10, 32)
	count, err2 := strconv.ParseUint(strings.TrimSpace(fields[2]), 10, 32)
	if err1 != nil || err2 != nil || count == 0 || start+count > math.MaxUint32 {
		return "", Range{}, false
	}
	return strings.TrimSpace(fields[0]), Range{Start: uint32(start), Count: uint32(count)}, true
}

// LookupSubIDs opens path (e.g. "/etc/subuid") and calls ParseSubIDs; a
// missing file yields no ranges and no error.
func LookupSubIDs(path, name string, id uint32) ([]Range, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	ranges, err := ParseSubIDs(f, name, id)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ranges, nil
}
