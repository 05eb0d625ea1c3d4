package listing_test

import (
	"strings"
	"time"

	"nook/listing"
)

// now is the fixed "now" every test measures ages from.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func id(c byte) string { return strings.Repeat(string(c), 64) }

// fixtures are one container of each kind ps shows, in no particular order.
func fixtures() []listing.Container {
	return []listing.Container{
		{
			ID: id('b'), Name: "db", Image: "postgres:16", Command: []string{"docker-entrypoint.sh", "postgres"},
			Created: now.Add(-time.Hour), StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-2 * time.Second),
			State: listing.StateExited, Ports: []listing.Port{{ContainerPort: 5432, Proto: "tcp"}},
		},
		{
			ID: id('a'), Name: "web", Command: []string{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"},
			Image:   "docker.io/library/nginx:1.27@sha256:" + id('9'),
			Created: now.Add(-3 * time.Minute), StartedAt: now.Add(-3*time.Minute + 2*time.Second), State: listing.StateRunning,
			Ports: []listing.Port{
				{HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
				{HostIP: "127.0.0.1", HostPort: 8443, ContainerPort: 443, Proto: "tcp"},
			},
			Labels: map[string]string{"app": "web", "tier": "front"},
		},
		{
			ID: id('c'), Name: "job", Image: "registry.example:5000/team/batch:v2", Command: []string{"/bin/batch", "--all"},
			Created: now.Add(-49 * time.Hour), StartedAt: now.Add(-48 * time.Hour), FinishedAt: now.Add(-time.Hour),
			State: listing.StateExited, ExitCode: 137, Reason: "supervisor killed",
			Labels: map[string]string{"app": "batch"},
		},
		{
			ID: id('d'), Name: "range", Image: "alpine", Command: []string{"sleep", "1000"},
			Created: now.Add(-time.Second), StartedAt: now.Add(-500 * time.Millisecond), State: listing.StateRunning,
			Ports: rangePorts("", 8000, 8010, "tcp"),
		},
		{
			ID: id('e'), Name: "fresh", Image: "sha256:" + id('f'), Command: []string{"sh", "-c", "echo hello world"},
			Created: now.Add(-10 * time.Second), State: listing.StateCreated,
		},
		{
			ID: id('1'), Name: "going", Command: []string{"/bin/true"},
			Created: now.Add(-20 * 24 * time.Hour), StartedAt: now.Add(-20 * 24 * time.Hour),
			FinishedAt: now.Add(-19 * 24 * time.Hour), State: listing.StateRemoving,
		},
	}
}

// rangePorts publishes first..last on the same host ports.
func rangePorts(ip string, first, last uint16, proto string) []listing.Port {
	var ps []listing.Port
	for p := first; p <= last; p++ {
		ps = append(ps, listing.Port{HostIP: ip, HostPort: p, ContainerPort: p, Proto: proto})
	}
	return ps
}
