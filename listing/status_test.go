package listing_test

import (
	"testing"
	"time"

	"nook/listing"
)

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    listing.Container
		want string
	}{
		{"created", listing.Container{State: listing.StateCreated, Created: now.Add(-time.Hour)}, "Created"},
		{"just started", listing.Container{State: listing.StateRunning, StartedAt: now.Add(-300 * time.Millisecond)}, "Up Less than a second"},
		{"started in the future", listing.Container{State: listing.StateRunning, StartedAt: now.Add(time.Minute)}, "Up Less than a second"},
		{"up", listing.Container{State: listing.StateRunning, StartedAt: now.Add(-3*time.Minute - 59*time.Second)}, "Up 3 minutes"},
		{"exited", listing.Container{State: listing.StateExited, FinishedAt: now.Add(-2 * time.Second)}, "Exited (0) 2 seconds ago"},
		{"killed", listing.Container{State: listing.StateExited, ExitCode: 137, FinishedAt: now.Add(-75 * time.Minute)},
			"Exited (137) About an hour ago"},
		{"supervisor killed", listing.Container{State: listing.StateExited, ExitCode: 137, FinishedAt: now.Add(-time.Minute),
			Reason: "supervisor killed"}, "Exited (137) About a minute ago (supervisor killed)"},
		{"exit time lost", listing.Container{State: listing.StateExited, ExitCode: 137, Reason: "host rebooted"},
			"Exited (137) (host rebooted)"},
		{"removing", listing.Container{State: listing.StateRemoving}, "Removal In Progress"},
		{"paused", listing.Container{State: "paused", StartedAt: now.Add(-3 * time.Hour)}, "Up 3 hours (Paused)"},
		{"restarting", listing.Container{State: "restarting", ExitCode: 1, FinishedAt: now.Add(-5 * time.Second)},
			"Restarting (1) 5 seconds ago"},
		{"dead", listing.Container{State: "dead"}, "Dead"},
	} {
		if got := listing.Status(tc.c, now); got != tc.want {
			t.Errorf("%s: Status = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRunningFor checks that CREATED counts whole seconds, as Docker's
// API gives them: 1.9 s after a creation at x.9 s is already "2 seconds".
func TestRunningFor(t *testing.T) {
	for _, tc := range []struct {
		created time.Time
		want    string
	}{
		{now.Add(-3 * time.Minute), "3 minutes ago"},
		{now.Add(-1900 * time.Millisecond), "2 seconds ago"},
		{now.Add(-100 * time.Millisecond), "1 second ago"},
		{now, "Less than a second ago"},
		{now.Add(-26 * time.Hour), "26 hours ago"},
	} {
		if got := listing.RunningFor(listing.Container{Created: tc.created}, now); got != tc.want {
			t.Errorf("RunningFor(created %v before now) = %q, want %q", now.Sub(tc.created), got, tc.want)
		}
	}
}
