package cli

import (
	"os"
	"os/user"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/userns"
)

// idPlan is how the container's ids map onto the caller's.
type idPlan struct {
	Rootless bool
	UIDs     []specs.LinuxIDMapping
	GIDs     []specs.LinuxIDMapping
	// Helpers are set when newuidmap/newgidmap must write the maps.
	Helpers *userns.Helpers
	// SubUIDs and SubGIDs are the caller's /etc/subuid and /etc/subgid
	// entries, for explaining a helper's failure.
	SubUIDs, SubGIDs []userns.Range
	// Note says why only one id is mapped, for errors about unmapped ids.
	Note string
}

// containerIDs maps container root to the caller and 1..65536 to the
// caller's subordinate ids when there are any and the helpers exist.
func containerIDs() idPlan {
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	if userns.Privileged() {
		return idPlan{}
	}
	p := idPlan{Rootless: true, UIDs: userns.Identity(0), GIDs: userns.Identity(0)}
	p.UIDs[0].HostID, p.GIDs[0].HostID = uid, gid
	name := userName(uid)
	subUIDs, _ := userns.LookupSubIDs("/etc/subuid", name, uid)
	subGIDs, _ := userns.LookupSubIDs("/etc/subgid", name, uid)
	h := userns.FindHelpers()
	switch {
	case len(subUIDs) == 0 || len(subGIDs) == 0:
		p.Note = "you have no subordinate ids in /etc/subuid and /etc/subgid; ask an administrator for a range (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + name + ")"
	case h.NewUIDMap == "" || h.NewGIDMap == "":
		p.Note = "newuidmap/newgidmap are not installed, so only your own id is mapped; install the uidmap package"
	case noNewPrivs():
		// Inside a sandbox (nook's, or any with no_new_privs) a setuid
		// helper runs without its privileges and would only fail.
		p.Note = "nook runs under no_new_privs (inside a sandbox?), where the setuid newuidmap cannot work, so only your own id is mapped; run nook outside it for a full id range"
	default:
		p.UIDs = userns.PlanIDMap(uid, subUIDs, 65536)
		p.GIDs = userns.PlanIDMap(gid, subGIDs, 65536)
		p.Helpers = &h
		p.SubUIDs, p.SubGIDs = subUIDs, subGIDs
	}
	return p
}

// sandboxIDs keeps the caller's own ids (or makes them root with --root):
// one id each, written without helpers.
func sandboxIDs(asRoot bool) idPlan {
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	if userns.Privileged() {
		return idPlan{}
	}
	p := idPlan{Rootless: true, UIDs: userns.Identity(uid), GIDs: userns.Identity(gid)}
	if asRoot {
		p.UIDs = userns.PlanIDMap(uid, nil, 0)
		p.GIDs = userns.PlanIDMap(gid, nil, 0)
	}
	p.Note = "the sandbox maps only your own id"
	return p
}

func noNewPrivs() bool {
	v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	return err == nil && v == 1
}

func userName(uid uint32) string {
	if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}
