package listing_test

import (
	"testing"
	"time"

	"nook/listing"
)

// TestHumanDuration walks go-units' boundaries: each unit's first and
// last value, and the half hour where hours round up.
func TestHumanDuration(t *testing.T) {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "Less than a second"},
		{0, "Less than a second"},
		{999 * time.Millisecond, "Less than a second"},
		{time.Second, "1 second"},
		{1999 * time.Millisecond, "1 second"},
		{2 * time.Second, "2 seconds"},
		{59*time.Second + 999*time.Millisecond, "59 seconds"},
		{time.Minute, "About a minute"},
		{119 * time.Second, "About a minute"},
		{2 * time.Minute, "2 minutes"},
		{59*time.Minute + 59*time.Second, "59 minutes"},
		{time.Hour, "About an hour"},
		{89*time.Minute + 59*time.Second, "About an hour"},
		{90 * time.Minute, "2 hours"},
		{47*time.Hour + 29*time.Minute, "47 hours"},
		{47*time.Hour + 30*time.Minute, "2 days"},
		{13*day + 23*time.Hour, "13 days"},
		{14*day - 30*time.Minute, "2 weeks"},
		{59 * day, "8 weeks"},
		{60 * day, "2 months"},
		{2*365*day - time.Hour, "24 months"},
		{2 * 365 * day, "2 years"},
		{10*365*day + 5*day, "10 years"},
	} {
		if got := listing.HumanDuration(tc.d); got != tc.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
