package cgroups

import "path"

// delegationPoint finds the nearest writable ancestor-or-self of dir, then
// keeps climbing while the parents stay writable, and returns the highest one.
// Under systemd the user manager owns its whole subtree, so the nearest
// writable cgroup is usually our own scope: it holds processes (so no
// controllers can be enabled below it) and its controllers are only what the
// manager happened to enable. The top of the run is where the delegation was
// granted (user@UID.service).
func delegationPoint(dir, mountPoint string, writable func(dir string) bool) string {
	found := ""
	for d := dir; ; d = path.Dir(d) {
		if writable(d) {
			found = d
		} else if found != "" {
			break
		}
		// Above the mount point are ordinary directories, not cgroups.
		if d == mountPoint || d == "/" {
			break
		}
	}
	return found
}
