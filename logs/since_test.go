package logs

import (
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	zone := time.FixedZone("CEST", 2*3600)
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, zone)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"10m", now.Add(-10 * time.Minute)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"0", now},
		{"1700000000", time.Unix(1700000000, 0)},
		{"1700000000.5", time.Unix(1700000000, 5e8)},
		{"1700000000.000000001", time.Unix(1700000000, 1)},
		{"2024-04-30T10:00:00Z", time.Date(2024, 4, 30, 10, 0, 0, 0, time.UTC)},
		{"2024-04-30T10:00:00+05:00", time.Date(2024, 4, 30, 5, 0, 0, 0, time.UTC)},
		{"2024-04-30T10:00:00.123456789Z", time.Date(2024, 4, 30, 10, 0, 0, 123456789, time.UTC)},
		{"2024-04-30T10:00:00", time.Date(2024, 4, 30, 10, 0, 0, 0, zone)},
		{"2024-04-30T10:00:00.25", time.Date(2024, 4, 30, 10, 0, 0, 25e7, zone)},
		{"2024-04-30T10:00", time.Date(2024, 4, 30, 10, 0, 0, 0, zone)},
		{"2024-04-30", time.Date(2024, 4, 30, 0, 0, 0, 0, zone)},
	}
	for _, tt := range tests {
		got, err := ParseSince(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSinceErrors(t *testing.T) {
	for _, in := range []string{"yesterday", "1.5.2", "1700000000.", "1700000000.1234567890", "-1700000000", "2024-13-01", "2024-04-30 10:00:00", "10x"} {
		_, err := ParseSince(in, time.Now())
		wantParseError(t, "ParseSince", in, err, "1h30m")
	}
}
