package e2e

// nook inside nook's own sandbox: the CI job that runs in a sandbox and
// starts containers of its own.

import (
	"strconv"
	"strings"
	"testing"
)

// The outer sandbox must leave /proc whole (unmask) and allow user
// namespaces (seccomp); the inner nook then runs under no_new_privs, where
// the setuid helpers cannot work, and maps the caller's id alone.
func TestNestedRunInSandbox(t *testing.T) {
	outer := []string{"sandbox", "--security-opt", "seccomp=unconfined", "--security-opt", "unmask=ALL", "--"}
	r := nook(t, append(outer, env.nook, "run", "--network", "none", "--rootfs", rootfs(t), "--", "cat", "/proc/self/uid_map")...)
	wantCode(t, r, 0)
	if f := strings.Fields(r.Stdout); len(f) != 3 || f[0] != "0" || f[1] != strconv.Itoa(env.uid) || f[2] != "1" {
		t.Errorf("inner uid_map = %q, want 0 %d 1", r.Stdout, env.uid)
	}
	r = nook(t, append(outer, env.nook, "run", "--network", "none", "-u", "1000", "--rootfs", rootfs(t), "--", "id")...)
	wantCode(t, r, 125)
	oneLine(t, r, "no_new_privs")
}

// --security-opt unmask=PATH leaves that path as the kernel shows it and
// every other mask in place.
func TestUnmaskPath(t *testing.T) {
	script := `wc -c < /proc/interrupts; wc -c < /proc/keys`
	masked := nook(t, "run", "--rootfs", rootfs(t), "--", "sh", "-c", script)
	wantCode(t, masked, 0)
	if f := strings.Fields(masked.Stdout); len(f) != 2 || f[0] != "0" || f[1] != "0" {
		t.Fatalf("masked: sizes %q, want 0 0", masked.Stdout)
	}
	r := nook(t, "run", "--security-opt", "unmask=/proc/interrupts", "--rootfs", rootfs(t), "--", "sh", "-c", script)
	wantCode(t, r, 0)
	if f := strings.Fields(r.Stdout); len(f) != 2 || f[0] == "0" || f[1] != "0" {
		t.Errorf("unmask=/proc/interrupts: sizes %q, want interrupts non-empty and keys 0", r.Stdout)
	}
}
