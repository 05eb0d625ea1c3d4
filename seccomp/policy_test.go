//go:build linux

package seccomp

import (
	"testing"

	"golang.org/x/sys/unix"

	"nook/caps"
)

func TestRulesTable(t *testing.T) {
	seen := map[int]bool{}
	for i, r := range rules {
		if r.nr == absent {
			continue
		}
		if r.nr < 0 || r.nr >= 1024 {
			t.Errorf("rule %d: syscall number %d is not a native one", i, r.nr)
		}
		if seen[r.nr] {
			t.Errorf("rule %d: syscall %d listed twice", i, r.nr)
		}
		seen[r.nr] = true
	}
}

func TestDefaultPolicy(t *testing.T) {
	strict := DefaultPolicy(caps.Default)
	if strict.CloneFlags != namespaceFlags || len(strict.NoSys) != 1 {
		t.Errorf("default policy: clone flags %#x, nosys %v; want the namespace rule and clone3", strict.CloneFlags, strict.NoSys)
	}
	var admin caps.Set
	admin.Add(unix.CAP_SYS_ADMIN)
	relaxed := DefaultPolicy(caps.Default | admin)
	if relaxed.CloneFlags != 0 || len(relaxed.NoSys) != 0 {
		t.Errorf("with CAP_SYS_ADMIN: clone flags %#x, nosys %v; want none", relaxed.CloneFlags, relaxed.NoSys)
	}
	if len(relaxed.Deny) >= len(strict.Deny) {
		t.Errorf("CAP_SYS_ADMIN lifted nothing: %d denied vs %d", len(relaxed.Deny), len(strict.Deny))
	}
	if all := DefaultPolicy(caps.All); len(all.Deny) == 0 {
		t.Error("with every capability nothing is denied; keyctl and kexec should stay refused")
	}
}
