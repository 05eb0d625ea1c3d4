package logs

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads a size as `--log-opt max-size=` takes it, in Docker's
// units: a number of bytes ("100"), or one with k, m or g for KiB, MiB or
// GiB ("512k", "10m", "1.5g"), in either case, optionally followed by b
// ("10mb").
func ParseSize(s string) (int64, error) {
	num := strings.TrimSuffix(strings.ToLower(s), "b")
	mult := int64(1)
	if n := len(num); n > 0 {
		if i := strings.IndexByte("kmg", num[n-1]); i >= 0 {
			mult = 1 << (10 * (i + 1))
			num = num[:n-1]
		}
	}
	v, ok := parseDecimal(num)
	size := v * float64(mult)
	if !ok || size < 1 || size > 1<<53 {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, with k, m or g for KiB, MiB or GiB (100, 512k, 10m, 1g)", s)
	}
	return int64(size), nil
}

// parseDecimal reads digits with an optional fraction, nothing else that
// ParseFloat would take (signs, exponents, "inf").
func parseDecimal(s string) (float64, bool) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(whole) || hasFrac && !allDigits(frac) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
