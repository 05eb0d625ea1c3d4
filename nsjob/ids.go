package nsjob

import (
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/caps"
	"nook/userns"
)

// IDs is the id mapping of the namespace jobs run in: the same plan a
// container gets.
type IDs struct {
	Rootless   bool                   // false: real root, no user namespace
	UIDs, GIDs []specs.LinuxIDMapping // empty with Rootless: 0 → the caller
	Helpers    *userns.Helpers        // nil: write a single-id map directly
	// SubUIDs and SubGIDs are the caller's /etc/subuid and /etc/subgid
	// entries the maps come from; optional, they only improve the wording
	// of a helper's failure.
	SubUIDs, SubGIDs []userns.Range
}

// sysProcAttr clones the helper into its namespace. The parent-death
// signal is set here, before the helper's first instruction, so there is
// no moment in which nook's death would leave it behind.
func (ids IDs) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if !ids.Rootless {
		return attr
	}
	attr.Cloneflags = syscall.CLONE_NEWUSER
	// newuidmap runs after the clone, so the helper is not uid 0 of its
	// namespace at its execve and would lose its capabilities there;
	// ambient ones survive it (as for the container's init).
	attr.AmbientCaps = caps.Ambient()
	if ids.Helpers == nil {
		// The kernel lets a process write a one-id map of itself; Go's
		// fork does it between the clone and the execve, with setgroups
		// denied, as the kernel requires without CAP_SETGID outside.
		uids, gids := ids.UIDs, ids.GIDs
		if len(uids) == 0 {
			uids = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getuid()), Size: 1}}
		}
		if len(gids) == 0 {
			gids = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getgid()), Size: 1}}
		}
		attr.UidMappings, attr.GidMappings = sysMap(uids), sysMap(gids)
		attr.GidMappingsEnableSetgroups = false
	}
	return attr
}

func sysMap(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}
