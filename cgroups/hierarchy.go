package cgroups

import "strings"

func versionOf(mounts []MountInfo) Version {
	var v1, v2 bool
	for _, m := range mounts {
		switch m.FSType {
		case "cgroup":
			v1 = true
		case "cgroup2":
			v2 = true
		}
	}
	switch {
	case v1 && v2:
		return Hybrid
	case v2:
		return V2
	case v1:
		return V1
	}
	return None
}

// unifiedMount picks the cgroup2 mount to use: one that shows our own cgroup,
// preferring the conventional places, and skipping mounts shadowed by a later
// mount at the same point.
func unifiedMount(mounts []MountInfo, own string) (MountInfo, bool) {
	top := make(map[string]int, len(mounts))
	for i, m := range mounts {
		top[m.MountPoint] = i
	}
	var best MountInfo
	bestRank := -1
	for i, m := range mounts {
		if m.FSType != "cgroup2" || top[m.MountPoint] != i {
			continue
		}
		rank := 0
		if _, ok := relativeTo(m.Root, own); ok {
			rank += 4
		}
		switch m.MountPoint {
		case "/sys/fs/cgroup":
			rank += 2
		case "/sys/fs/cgroup/unified":
			rank++
		}
		if rank > bestRank {
			best, bestRank = m, rank
		}
	}
	return best, bestRank >= 0
}

// relativeTo returns own relative to a mount's root. The kernel writes paths
// outside the reader's cgroup namespace (or a mount's) with leading "/.."
// components; those cannot be reached through the mount.
func relativeTo(root, own string) (string, bool) {
	if own == "" || strings.HasPrefix(own, "/..") || strings.HasPrefix(root, "/..") {
		return "", false
	}
	switch {
	case root == "/":
		return own, true
	case own == root:
		return "/", true
	case strings.HasPrefix(own, root+"/"):
		return own[len(root):], true
	}
	return "", false
}
