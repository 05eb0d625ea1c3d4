package cli

import (
	"strings"
	"testing"

	"nook/cgroups"
)

func TestCgroupManagerChoice(t *testing.T) {
	bus := cgroups.Host{Version: cgroups.V2, SystemdUserBus: true}
	noBus := cgroups.Host{Version: cgroups.V2}
	hybrid := cgroups.Host{Version: cgroups.Hybrid, SystemdUserBus: true}
	for _, tc := range []struct {
		r    resources
		h    cgroups.Host
		want string
	}{
		{resources{}, bus, "systemd"},
		{resources{}, noBus, "cgroupfs"},
		{resources{}, hybrid, "cgroupfs"},
		{resources{CgroupParent: "nook.slice"}, bus, "systemd"},
		{resources{CgroupParent: "ci/jobs"}, bus, "cgroupfs"},
		{resources{CgroupManager: "cgroupfs"}, bus, "cgroupfs"},
		{resources{CgroupManager: "systemd"}, noBus, "systemd"},
		{resources{CgroupManager: "systemd", CgroupParent: "ci"}, bus, "systemd"},
	} {
		if got := tc.r.manager(tc.h); got != tc.want {
			t.Errorf("%+v on %+v: %s, want %s", tc.r, tc.h, got, tc.want)
		}
	}
}

func TestCgroupManagerFlagChecked(t *testing.T) {
	r := resources{Cgroups: "enabled", CgroupManager: "upstart"}
	_, err := r.cgroup("x")
	if _, ok := err.(usageErr); !ok || !strings.Contains(err.Error(), "--cgroup-manager must be systemd or cgroupfs") {
		t.Errorf("err = %v (%T)", err, err)
	}
	r = resources{Cgroups: "disabled", CgroupManager: "systemd"}
	if _, err := r.cgroup("x"); err == nil || !strings.Contains(err.Error(), "--cgroups=disabled") {
		t.Errorf("err = %v", err)
	}
}
