package hostinfo

import (
	"strings"

	"nook/cgroups"
)

// coreControllers back the limits CI users reach for first (memory, CPU
// time, process count); the check fails only when one of them is missing.
// The fix then asks for every controller nook's limits can use, so that
// pasting it once is enough.
var (
	coreControllers = []string{"cpu", "memory", "pids"}
	allControllers  = []string{"cpu", "cpuset", "io", "memory", "pids"}
)

func cgroupChecks(e Env) (*cgroups.Host, []Check) {
	h, err := cgroups.Discover(e.ProcRoot, e.XDGRuntimeDir)
	if err != nil {
		return nil, []Check{problem("cgroups", err.Error(),
			"resource limits are unavailable until "+e.ProcRoot+"/self/mountinfo and cgroup are readable")}
	}
	own := h.Own
	if own == "" {
		own = "none"
	}
	bus := "no"
	if h.SystemdUserBus {
		bus = "yes"
	}
	return &h, []Check{
		ok("cgroups", hierarchy(h)),
		ok("own cgroup", own),
		delegationCheck(h),
		ok("systemd user bus", bus),
	}
}

func hierarchy(h cgroups.Host) string {
	switch h.Version {
	case cgroups.V2:
		return "v2 at " + h.Mount
	case cgroups.Hybrid:
		return "hybrid: v1 plus v2 at " + h.Mount
	}
	return h.Version.String()
}

func delegationCheck(h cgroups.Host) Check {
	const name = "cgroup delegation"
	v := "none"
	if h.Writable != "" {
		c := "no controllers"
		if len(h.Delegated) > 0 {
			c = strings.Join(h.Delegated, " ")
		}
		v = c + " at " + h.Writable
	}
	if len(h.Problems(coreControllers)) == 0 {
		return ok(name, v)
	}
	return problem(name, v, strings.Join(h.Problems(allControllers), "; "))
}
