package e2e

// Resource limits on a host that cannot honour them (this machine kind:
// cgroup v1 with a controller-less v2 hierarchy), and flag checking that
// needs no cgroup at all. The limits themselves are tested on a real cgroup
// v2 kernel: e2e/*_vm_test.go, run by `just test-vm`.

import (
	"os"
	"strings"
	"testing"
)

// oneLine fails unless r is a single-line nook error mentioning every word.
func oneLine(t *testing.T, r result, words ...string) {
	t.Helper()
	msg := strings.TrimRight(r.Stderr, "\n")
	if !strings.HasPrefix(msg, "nook: ") || strings.Contains(msg, "\n") {
		t.Fatalf("want one line starting with \"nook: \" on stderr, got %q", r.Stderr)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
}

func needsNoCgroupV2(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		t.Fatal("this test is for hosts without a unified cgroup v2 hierarchy (like this machine kind); its counterpart runs in the VM")
	}
}

func TestCgroupLimitRefusedWithoutV2(t *testing.T) {
	needsNoCgroupV2(t)
	for _, flags := range [][]string{
		{"-m", "64m"}, {"--memory", "1g", "--memory-swap", "2g"}, {"--memory-reservation", "32m"},
		{"--cpus", "1"}, {"--cpu-shares", "512"}, {"--cpu-weight", "50"}, {"--cpuset-cpus", "0"},
		{"--pids-limit", "10"}, {"--io-weight", "100"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			args := append(append([]string{"run", "--rootfs", rootfs(t)}, flags...), "--", "true")
			r := nook(t, args...)
			wantCode(t, r, 125)
			oneLine(t, r, "cgroup v2")
			if r.Stdout != "" {
				t.Errorf("the command ran: %q", r.Stdout)
			}
		})
	}
	r := nook(t, "sandbox", "--pids-limit", "10", "--", "true")
	wantCode(t, r, 125)
	oneLine(t, r, "cgroup v2")
}

// No limit flag: no cgroup, no error and no warning on such a host.
func TestCgroupNoFlagNoComplaint(t *testing.T) {
	needsNoCgroupV2(t)
	for _, args := range [][]string{
		{"run", "--rootfs", rootfs(t), "--", "echo", "ok"},
		{"sandbox", "--", "echo", "ok"},
		{"run", "--cgroups=disabled", "--rootfs", rootfs(t), "--", "echo", "ok"},
	} {
		r := nook(t, args...)
		wantCode(t, r, 0)
		if r.Stdout != "ok\n" || r.Stderr != "" {
			t.Errorf("%v: stdout %q, stderr %q", args, r.Stdout, r.Stderr)
		}
	}
}

// Values are checked strictly, before anything about the host.
func TestCgroupFlagValues(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		code  int
		words []string
	}{
		{[]string{"--memory", "12x"}, 125, []string{"--memory", "12x"}},
		{[]string{"--memory-reservation", "lots"}, 125, []string{"lots"}},
		{[]string{"--memory", "64m", "--memory-swap", "32m"}, 125, []string{"--memory-swap"}},
		{[]string{"--cpus", "abc"}, 125, []string{"--cpus", "abc"}},
		{[]string{"--cpus", "0"}, 125, []string{"--cpus"}},
		{[]string{"--cpus", "4096"}, 125, []string{"--cpus", "4096"}},
		{[]string{"--cpu-shares", "1"}, 125, []string{"--cpu-shares"}},
		{[]string{"--cpu-shares", "512", "--cpu-weight", "50"}, 125, []string{"--cpu-weight"}},
		{[]string{"--cpuset-cpus", "0-"}, 125, []string{"--cpuset-cpus"}},
		{[]string{"--cpuset-cpus", "4095"}, 125, []string{"--cpuset-cpus", "4095"}},
		{[]string{"--cpu-shares", "many"}, 2, []string{"cpu-shares"}},
		{[]string{"--cgroups", "maybe"}, 2, []string{"cgroups"}},
		{[]string{"--cgroups=disabled", "-m", "64m"}, 125, []string{"--cgroups=disabled"}},
	} {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			args := append(append([]string{"run", "--rootfs", rootfs(t)}, tc.flags...), "--", "true")
			r := nook(t, args...)
			wantCode(t, r, tc.code)
			oneLine(t, r, tc.words...)
		})
	}
}

// `nook stats` with nothing running prints just the header.
func TestStatsNothingRunning(t *testing.T) {
	r := nook(t, "stats", "--no-stream")
	wantCode(t, r, 0)
	if lines := strings.Split(strings.TrimSpace(r.Stdout), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "CONTAINER ID") {
		t.Errorf("want only the header, got %q", r.Stdout)
	}
	r = nook(t, "stats", "--no-stream", "--format", "json")
	wantCode(t, r, 0)
	if strings.TrimSpace(r.Stdout) != "[]" {
		t.Errorf("json of nothing = %q, want []", r.Stdout)
	}
	r = nook(t, "stats", "--no-stream", "nosuchcontainer")
	wantCode(t, r, 125)
	oneLine(t, r, "nosuchcontainer")
}
