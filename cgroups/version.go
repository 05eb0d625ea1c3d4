package cgroups

import "fmt"

// Version is which cgroup hierarchy layout the caller's mount namespace shows.
type Version int

const (
	// None: no cgroup file system is mounted at all (common in minimal containers).
	None Version = iota
	// V1: only legacy per-controller hierarchies.
	V1
	// Hybrid: legacy hierarchies plus a cgroup2 mount (systemd's "hybrid" mode, often
	// at /sys/fs/cgroup/unified). Controllers bound to v1 cannot appear in v2.
	Hybrid
	// V2: only the unified hierarchy.
	V2
)

func (v Version) String() string {
	switch v {
	case None:
		return "none"
	case V1:
		return "v1"
	case Hybrid:
		return "hybrid"
	case V2:
		return "v2"
	}
	return fmt.Sprintf("Version(%d)", int(v))
}

// MarshalText makes the version read as "v2" rather than 3 in `nook info --json`.
func (v Version) MarshalText() ([]byte, error) {
	return []byte(v.String()), nil
}
