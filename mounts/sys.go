package mounts

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// Sys is the kernel as the executor sees it. Every path inside the new root
// goes through Resolve, so a hostile rootfs (symlinks planted anywhere) can
// never redirect a mount outside of it. Tests pass a fake that records calls.
type Sys interface {
	// Resolve opens path inside root (never leaving it) with flags.
	Resolve(root int, path string, flags int) (int, error)
	// OpenHost opens a trusted host path (a volume source, /dev/null).
	OpenHost(path string) (int, error)
	Mount(src, dst, fstype string, flags uintptr, data string) error
	// SetReadOnly makes the mount at fd read-only, with its submounts if recursive.
	SetReadOnly(fd int, recursive bool) error
	// CloneTree detaches a recursive copy of the mount tree at path.
	CloneTree(path string) (int, error)
	// Attach mounts a detached tree at dst.
	Attach(tree int, dst string) error
	// MountOverlay mounts o at dst with fsopen/fsconfig/fsmount; a kernel
	// without fsconfig "lowerdir+" (Linux < 6.8) fails with EINVAL.
	MountOverlay(o Overlay, dst string) error
	// Chdir changes the working directory (relative overlay layer paths).
	Chdir(dir string) error
	Mkdirat(dir int, name string) error
	Createat(dir int, name string, data []byte) error
	Symlinkat(target string, dir int, name string) error
	// Readlinkat reads the symlink name in dir.
	Readlinkat(dir int, name string) (string, error)
	Unlinkat(dir int, name string) error
	IsDir(fd int) (bool, error)
	Close(fd int)
}

// fdPath names an open descriptor so that mount(2), which only takes paths,
// acts on exactly the object resolved earlier.
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// Kernel is the real Sys.
type Kernel struct{}

const resolveFlags = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

func (Kernel) Resolve(root int, path string, flags int) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolveFlags}
	for {
		fd, err := unix.Openat2(root, path, &how)
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

func (Kernel) OpenHost(path string) (int, error) {
	return unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
}

func (Kernel) Mount(src, dst, fstype string, flags uintptr, data string) error {
	return unix.Mount(src, dst, fstype, flags, data)
}

func (Kernel) SetReadOnly(fd int, recursive bool) error {
	flags := unix.AT_EMPTY_PATH
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	return unix.MountSetattr(fd, "", uint(flags), &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
}

func (Kernel) CloneTree(path string) (int, error) {
	return unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
}

func (Kernel) Attach(tree int, dst string) error {
	return unix.MoveMount(tree, "", unix.AT_FDCWD, dst, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

func (Kernel) Mkdirat(dir int, name string) error { return unix.Mkdirat(dir, name, 0o755) }

func (Kernel) Createat(dir int, name string, data []byte) error {
	fd, err := unix.Openat(dir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func (Kernel) Symlinkat(target string, dir int, name string) error {
	return unix.Symlinkat(target, dir, name)
}

func (Kernel) Readlinkat(dir int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dir, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

func (Kernel) Unlinkat(dir int, name string) error { return unix.Unlinkat(dir, name, 0) }

func (Kernel) IsDir(fd int) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, err
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}

func (Kernel) Close(fd int) { unix.Close(fd) }
