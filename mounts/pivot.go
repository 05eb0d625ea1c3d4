package mounts

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// PivotRoot makes root the process's / and detaches the old root, so no
// path (not even through ..) leads back to the host. pivot_root(".", ".")
// stacks the old root on top of the new one; unmounting "." then removes it
// without needing a directory for it inside the container.
func PivotRoot(root int) error {
	if err := unix.Fchdir(root); err != nil {
		return fmt.Errorf("chdir to new root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}
