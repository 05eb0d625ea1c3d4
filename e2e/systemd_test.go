package e2e

// --cgroup-manager on a host without cgroup v2 (this machine kind); the
// systemd manager itself is tested in the VM (systemd_vm_test.go).

import "testing"

func TestCgroupManagerFlag(t *testing.T) {
	needsNoCgroupV2(t)
	// cgroupfs without a limit: as without the flag, no cgroup and nothing said.
	r := nook(t, "run", "--cgroup-manager=cgroupfs", "--rootfs", rootfs(t), "--", "echo", "ok")
	wantCode(t, r, 0)
	if r.Stdout != "ok\n" || r.Stderr != "" {
		t.Errorf("stdout %q, stderr %q", r.Stdout, r.Stderr)
	}
	// systemd is asked for: it needs cgroup v2, which this host lacks.
	wantOneLine(t, nook(t, "run", "--cgroup-manager=systemd", "--rootfs", rootfs(t), "--", "echo", "ran"),
		125, "the systemd cgroup manager needs cgroup v2", "--cgroup-manager=cgroupfs")
	wantOneLine(t, nook(t, "run", "--cgroup-manager=systemd", "-m", "64m", "--rootfs", rootfs(t), "--", "echo", "ran"),
		125, "cannot apply --memory", "cgroup v2")
	wantOneLine(t, nook(t, "run", "--cgroup-manager=upstart", "--rootfs", rootfs(t), "--", "echo", "ran"),
		2, "--cgroup-manager must be systemd or cgroupfs")
	wantOneLine(t, nook(t, "run", "--cgroups=disabled", "--cgroup-manager=systemd", "--rootfs", rootfs(t), "--", "echo", "ran"),
		125, "--cgroups=disabled")
}
