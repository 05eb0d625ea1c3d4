package hostinfo

import "fmt"

// Gather runs every check. It never fails: whatever cannot be found out is
// itself reported as a check.
func Gather(e Env) Report {
	kernel := kernelRelease()
	osr := readOSRelease(e.EtcRoot)
	r := Report{
		Kernel:   kernel,
		Distro:   osr.pretty(),
		User:     e.User,
		UID:      e.UID,
		StateDir: stateDir(e),
		StoreDir: storeDir(e),
	}
	add := func(c ...Check) { r.Checks = append(r.Checks, c...) }

	add(ok("kernel", kernel), ok("distribution", r.Distro), userCheck(e))
	userns := userNSCheck(e)
	add(userns)
	add(subIDChecks(e)...)
	add(helperCheck("newuidmap", e.NewUIDMap, capSetUID, osr),
		helperCheck("newgidmap", e.NewGIDMap, capSetGID, osr))
	overlay := overlayCheck(e, userns.OK, kernel)
	add(overlay)

	h, cg := cgroupChecks(e)
	r.Cgroup = h
	add(cg...)

	add(tunCheck(e.DevRoot))
	add(dirCheck("state dir", r.StateDir, e.UID, stateDirFix(e)),
		dirCheck("store dir", r.StoreDir, e.UID, "set XDG_DATA_HOME to a directory you own"),
		driverCheck(r.StoreDir, overlay))
	return r
}

func userCheck(e Env) Check {
	name := e.User
	if name == "" {
		name = "unknown"
	}
	// A fact either way: root simply needs none of the rootless machinery.
	mode := "rootless"
	if e.UID == 0 {
		mode = "running as root"
	}
	return ok("user", fmt.Sprintf("%s (uid %d), %s", name, e.UID, mode))
}

// userForFix is what to put in a command line the user will paste.
func userForFix(e Env) string {
	if e.User != "" {
		return e.User
	}
	return "$USER"
}
