package listing

import (
	"fmt"
	"time"
)

// Status is the STATUS column: "Created", "Up 3 minutes",
// "Exited (0) 2 seconds ago". A Reason is appended in parentheses, the
// way Docker appends a health state: "Exited (137) 5 minutes ago
// (supervisor killed)".
func Status(c Container, now time.Time) string {
	s := baseStatus(c, now)
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	return s
}

func baseStatus(c Container, now time.Time) string {
	switch c.State {
	case StateCreated:
		return "Created"
	case StateRunning:
		return "Up " + HumanDuration(now.Sub(c.StartedAt))
	case "paused":
		return "Up " + HumanDuration(now.Sub(c.StartedAt)) + " (Paused)"
	case "restarting":
		return fmt.Sprintf("Restarting (%d) %s ago", c.ExitCode, HumanDuration(now.Sub(c.FinishedAt)))
	case StateRemoving:
		return "Removal In Progress"
	case "dead":
		return "Dead"
	case StateExited:
		// A record that lost its exit time (a reboot) still says how it ended.
		if c.FinishedAt.IsZero() {
			return fmt.Sprintf("Exited (%d)", c.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s ago", c.ExitCode, HumanDuration(now.Sub(c.FinishedAt)))
	}
	return c.State
}

// RunningFor is the CREATED column: "3 minutes ago". Docker's API carries
// the creation time in whole seconds, so it is truncated here too and the
// column ticks over when Docker's would.
func RunningFor(c Container, now time.Time) string {
	return HumanDuration(now.Sub(c.Created.Truncate(time.Second))) + " ago"
}

// createdAt is the .CreatedAt field, Go's time.Time.String of the whole
// second as Docker prints it, in now's location (the local zone in use).
func createdAt(c Container, now time.Time) string {
	return c.Created.Truncate(time.Second).In(now.Location()).Format("2006-01-02 15:04:05 -0700 MST")
}
