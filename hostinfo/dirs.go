package hostinfo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// stateDir and storeDir follow DESIGN.md. Relative XDG values are ignored,
// as the XDG base directory specification requires.
func stateDir(e Env) string {
	if filepath.IsAbs(e.XDGRuntimeDir) {
		return filepath.Join(e.XDGRuntimeDir, "nook")
	}
	return "/tmp/nook-" + strconv.Itoa(e.UID)
}

func storeDir(e Env) string {
	switch {
	case filepath.IsAbs(e.XDGDataHome):
		return filepath.Join(e.XDGDataHome, "nook")
	case e.Home != "":
		return filepath.Join(e.Home, ".local", "share", "nook")
	}
	return ""
}

func stateDirFix(e Env) string {
	if filepath.IsAbs(e.XDGRuntimeDir) {
		// su and sudo -u keep the caller's XDG_RUNTIME_DIR, a classic cause.
		return "point XDG_RUNTIME_DIR at a directory you own, or unset it"
	}
	return "set XDG_RUNTIME_DIR to a directory you own"
}

// dirCheck reports where a directory is and whether nook can use it. An
// existing one must belong to the user: under /tmp another user could have
// created it first to read or plant state.
func dirCheck(name, p string, uid int, moveFix string) Check {
	if p == "" {
		return problem(name, "unknown: HOME is not set", "set HOME or XDG_DATA_HOME")
	}
	st, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		parent := existingAncestor(p)
		if unix.Access(parent, unix.W_OK) != nil {
			return problem(name, fmt.Sprintf("%s (cannot be created: %s is not writable)", p, parent), moveFix)
		}
		return ok(name, fmt.Sprintf("%s (%s, will be created)", p, fsType(parent)))
	}
	if err != nil {
		return problem(name, err.Error(), moveFix)
	}
	if !st.IsDir() {
		return problem(name, p+" (not a directory)", "remove "+p)
	}
	if s, isUnix := st.Sys().(*syscall.Stat_t); isUnix && int(s.Uid) != uid {
		return problem(name, fmt.Sprintf("%s (owned by uid %d)", p, s.Uid), "sudo rm -rf "+p)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return problem(name, fmt.Sprintf("%s (mode %04o: writable by others)", p, st.Mode().Perm()), "chmod go-w "+p)
	}
	if unix.Access(p, unix.W_OK) != nil {
		return problem(name, p+" (not writable)", "chmod u+w "+p)
	}
	return ok(name, fmt.Sprintf("%s (%s, exists)", p, fsType(p)))
}

func existingAncestor(p string) string {
	for {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(p)
		if parent == p {
			return p
		}
		p = parent
	}
}

// fsType names the file system holding p. For the store it is where the
// overlay upper layers go, so it belongs next to the overlay probe's result.
func fsType(p string) string {
	var s unix.Statfs_t
	if err := unix.Statfs(p, &s); err != nil {
		return "unknown file system"
	}
	switch uint32(s.Type) {
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	case unix.FUSE_SUPER_MAGIC:
		return "fuse"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case unix.V9FS_MAGIC:
		return "9p"
	case 0x2fc12fc1:
		return "zfs"
	}
	return fmt.Sprintf("file system 0x%x", uint32(s.Type))
}
