package nsjob

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// removeAll removes dir without following a symlink anywhere below it.
func removeAll(dir string) error {
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	pfd, err := unix.Open(parent, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	defer unix.Close(pfd)
	if err := removeAt(pfd, base); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// removeAt removes name in the directory pfd, a whole tree for a
// directory. unlinkat acts on a symlink itself; directories are opened
// O_NOFOLLOW. A directory that cannot be read (mode 0 without
// CAP_DAC_OVERRIDE, as in the unprivileged tests) is opened up first.
func removeAt(pfd int, name string) error {
	err := unix.Unlinkat(pfd, name, 0)
	if !errors.Is(err, unix.EISDIR) {
		return err
	}
	fd, err := openDirNoFollow(pfd, name)
	if errors.Is(err, unix.EACCES) {
		if err = unix.Fchmodat(pfd, name, 0o700, 0); err == nil {
			fd, err = openDirNoFollow(pfd, name)
		}
	}
	if err != nil {
		return err
	}
	if err := clearDir(fd); err != nil {
		unix.Close(fd)
		return err
	}
	unix.Close(fd)
	return unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR)
}

// clearDir removes everything in the directory fd, which stays open.
func clearDir(fd int) error {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(dup), "dir")
	defer d.Close()
	for {
		names, rerr := d.Readdirnames(1024)
		for _, n := range names {
			if err := removeAt(fd, n); err != nil && !errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
		if rerr != nil {
			return nil // io.EOF, or the final rmdir reports what is left
		}
	}
}

func openDirNoFollow(pfd int, name string) (int, error) {
	return unix.Openat(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}
