// Package state holds what nook keeps about containers between commands:
// for now, the record of each running container that has a cgroup (what
// `nook stats` lists). Files are written atomically (a temporary name, then
// rename), so a reader never sees half a record.
package state

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Dir is nook's per-user runtime directory: $XDG_RUNTIME_DIR/nook, or
// /tmp/nook-UID when there is no XDG_RUNTIME_DIR.
func Dir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "nook")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("nook-%d", os.Getuid()))
}

// ensure creates dir (mode 0700) and checks that it is the caller's own:
// in a shared /tmp another user could have made it first, or planted a
// symlink there.
func ensure(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state directory %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Getuid() || st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("state directory %s is not a private directory of yours (mode 0700): remove it or set XDG_RUNTIME_DIR", dir)
	}
	return nil
}
