//go:build vm

// Tests that need a real cgroup v2 kernel with a delegated subtree. They are
// built with the vm tag and run, as TestVM..., inside the VM `just test-vm`
// boots (testdata/vm/README.md): there the test process is root in
// system.slice and starts the test user's commands in a session scope below
// user.slice/user-UID.slice/user@UID.service, which is delegated to the
// test user, as systemd's Delegate=yes does.

package e2e

import (
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"testing"
)

// vmDelegation is where testdata/vm/guest.sh delegates the test user's session.
func vmDelegation() string {
	uid := strconv.Itoa(env.uid)
	return "/sys/fs/cgroup/user.slice/user-" + uid + ".slice/user@" + uid + ".service"
}

// vmUserScope is the session scope the test user's commands start in.
func vmUserScope() string { return path.Join(vmDelegation(), "app.slice", "nook-tests.scope") }

func TestVMCgroupDelegation(t *testing.T) {
	r := nook(t, "info", "--format", "json")
	wantCode(t, r, 0)
	var info struct {
		Cgroup *struct {
			Version   string   `json:"version"`
			Own       string   `json:"own"`
			Writable  string   `json:"writable"`
			Delegated []string `json:"delegated"`
		} `json:"cgroup"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &info); err != nil {
		t.Fatalf("nook info --format json: %v\n%s", err, r.Stdout)
	}
	cg := info.Cgroup
	if cg == nil {
		t.Fatalf("nook info reports no cgroup:\n%s\n%s", r.Stdout, r.Stderr)
	}
	if cg.Version != "v2" {
		t.Errorf("cgroup version %q, want v2", cg.Version)
	}
	if want := vmUserScope(); path.Join("/sys/fs/cgroup", cg.Own) != want {
		t.Errorf("own cgroup %q, want %s", cg.Own, want)
	}
	if cg.Writable != vmDelegation() {
		t.Errorf("delegation point %q, want %s", cg.Writable, vmDelegation())
	}
	for _, c := range []string{"cpu", "memory", "pids"} {
		if !slices.Contains(cg.Delegated, c) {
			t.Errorf("controller %s not delegated: %q", c, cg.Delegated)
		}
	}

	wantCode(t, nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "--", "true"), 0)
}
