package logs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sinceLayouts are the timestamps --since takes besides RFC 3339; they
// have no zone, so they are read in now's.
var sinceLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseSince reads --since as Docker does: an RFC 3339 time (with or
// without a fraction), a date or a date and time without a zone (read in
// now's location), Unix seconds with an optional fraction
// ("1700000000.5"), or a Go duration before now ("10m", "1h30m"). The
// empty string is the zero time: no limit.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, ok := parseUnix(s); ok {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range sinceLayouts {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("since %q: want a time (2006-01-02, 2006-01-02T15:04:05, RFC 3339), Unix seconds (1700000000.5) or a duration before now (10m, 1h30m)", s)
}

// parseUnix reads seconds since the epoch with up to nine fraction digits.
func parseUnix(s string) (time.Time, bool) {
	sec, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(sec) || hasFrac && (!allDigits(frac) || len(frac) > 9) {
		return time.Time{}, false
	}
	secs, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var nsec int64
	if hasFrac {
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return time.Unix(secs, nsec), true
}
