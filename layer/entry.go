package layer

import (
	"archive/tar"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Every create below happens in pfd, the entry's parent resolved by
// openDir, under a single name, and never follows a symlink at that name:
// O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, symlinkat, mknodat and linkat without
// AT_SYMLINK_FOLLOW all fail with EEXIST on an existing name instead.

// parent opens the parent directory of p for creating in.
func (u *unpacker) parent(p string) (pfd int, base string, err error) {
	parent, base := split(p)
	pfd, err = u.openDir(parent, true, unix.O_PATH)
	return pfd, base, err
}

func (u *unpacker) dir(h *tar.Header, p string) error {
	pfd, base, err := u.parent(p)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	if p != "." {
		err := unix.Mkdirat(pfd, base, 0o700)
		if errors.Is(err, unix.EEXIST) {
			// An existing directory is merged with, as in Docker; anything
			// else there is replaced.
			var st unix.Stat_t
			if err = unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
				err = u.place(pfd, p, base, func() error { return unix.Mkdirat(pfd, base, 0o700) })
			}
		}
		if err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
	}
	if xattrs(h) {
		fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open directory: %w", err)
		}
		u.setXattrs(fd, h)
		unix.Close(fd)
	}
	atime, mtime := times(h)
	u.dirs[p] = dirMeta{mode: mode(h), uid: h.Uid, gid: h.Gid, atime: atime, mtime: mtime}
	u.res.Dirs++
	return nil
}

func (u *unpacker) file(tr *tar.Reader, h *tar.Header, p string) error {
	pfd, base, err := u.parent(p)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	fd := -1
	err = u.place(pfd, p, base, func() (err error) {
		fd, err = unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		return err
	})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	defer func() {
		if fd >= 0 {
			unix.Close(fd)
		}
	}()
	if err := u.writeSparse(fd, tr, h.Size); err != nil {
		return err
	}
	// Order matters: chown clears setuid/setgid and security.capability,
	// so the owner comes first, then the mode, then the xattrs.
	if u.o.Chown {
		if err := u.chown(func() error { return unix.Fchown(fd, h.Uid, h.Gid) }, h.Uid, h.Gid); err != nil {
			return err
		}
	}
	if err := unix.Fchmod(fd, mode(h)); err != nil {
		return fmt.Errorf("chmod %04o: %w", mode(h), err)
	}
	u.setXattrs(fd, h)
	err = unix.Close(fd)
	fd = -1
	if err != nil {
		return fmt.Errorf("close: %w", err)
	}
	u.res.Files++
	u.res.Bytes += h.Size
	atime, mtime := times(h)
	return setTimes(pfd, base, atime, mtime)
}

// symlink creates the link as the layer gives it: its target is never
// followed while unpacking, so it needs no checking.
func (u *unpacker) symlink(h *tar.Header, p string) error {
	pfd, base, err := u.parent(p)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	if err := u.place(pfd, p, base, func() error { return unix.Symlinkat(h.Linkname, pfd, base) }); err != nil {
		return fmt.Errorf("symlink: %w", err)
	}
	if err := u.chownAt(pfd, base, h); err != nil {
		return err
	}
	u.skipXattrs(h, "not applied to symlinks")
	u.res.Links++
	atime, mtime := times(h)
	// Some filesystems refuse times on symlinks; nothing reads them.
	_ = setTimes(pfd, base, atime, mtime)
	return nil
}

// hardlink links p to an earlier entry of this layer. The target is
// resolved like any entry's path, so it can be neither outside the layer
// nor behind a symlink; linkat without AT_SYMLINK_FOLLOW links a symlink
// target itself, never what it points to.
func (u *unpacker) hardlink(h *tar.Header, p string) error {
	target, err := cleanPath(h.Linkname)
	if err != nil {
		return fmt.Errorf("link target %q: %w", h.Linkname, err)
	}
	if target == "." {
		return fmt.Errorf("link target %q is the layer's root", h.Linkname)
	}
	tparent, tbase := split(target)
	tfd, err := u.openDir(tparent, false, unix.O_PATH)
	if errors.Is(err, errParentNotDir) || errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("link target %q is not an earlier entry of the layer", h.Linkname)
	}
	if err != nil {
		return fmt.Errorf("link target %q: %w", h.Linkname, err)
	}
	defer unix.Close(tfd)
	var st unix.Stat_t
	if err := unix.Fstatat(tfd, tbase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("link target %q is not an earlier entry of the layer", h.Linkname)
	}
	// Regular files are what layers hard-link; symlinks and fifos are
	// accepted too, as tar records any non-directory with several links
	// that way (cp -al trees). Whiteouts and directories are not.
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFLNK, unix.S_IFIFO:
	default:
		return fmt.Errorf("link target %q is not a file", h.Linkname)
	}

	pfd, base, err := u.parent(p)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	var cur unix.Stat_t
	if unix.Fstatat(pfd, base, &cur, unix.AT_SYMLINK_NOFOLLOW) == nil && cur.Dev == st.Dev && cur.Ino == st.Ino {
		u.res.Links++
		return nil // already that file (an entry linked to itself)
	}
	if err := u.place(pfd, p, base, func() error { return unix.Linkat(tfd, tbase, pfd, base, 0) }); err != nil {
		return fmt.Errorf("link to %q: %w", h.Linkname, err)
	}
	u.res.Links++
	return nil
}

func (u *unpacker) fifo(h *tar.Header, p string) error {
	pfd, base, err := u.parent(p)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	if err := u.place(pfd, p, base, func() error { return unix.Mknodat(pfd, base, unix.S_IFIFO|0o600, 0) }); err != nil {
		return fmt.Errorf("mkfifo: %w", err)
	}
	// A fifo opens for reading without blocking when asked not to, which
	// gives a descriptor for fchmod (fchmodat would follow a symlink).
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open fifo: %w", err)
	}
	defer unix.Close(fd)
	if u.o.Chown {
		if err := u.chown(func() error { return unix.Fchown(fd, h.Uid, h.Gid) }, h.Uid, h.Gid); err != nil {
			return err
		}
	}
	if err := unix.Fchmod(fd, mode(h)); err != nil {
		return fmt.Errorf("chmod %04o: %w", mode(h), err)
	}
	u.skipXattrs(h, "not applied to fifos")
	u.res.Files++
	atime, mtime := times(h)
	return setTimes(pfd, base, atime, mtime)
}

// mode is the entry's permission bits with setuid, setgid and sticky; the
// kernel silently drops setgid where the caller may not set it.
func mode(h *tar.Header) uint32 { return uint32(h.Mode) & 0o7777 }

func times(h *tar.Header) (atime, mtime unix.Timespec) {
	mtime = timespec(h.ModTime)
	atime = mtime
	if !h.AccessTime.IsZero() {
		atime = timespec(h.AccessTime)
	}
	return atime, mtime
}

func timespec(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

func setTimes(pfd int, base string, atime, mtime unix.Timespec) error {
	if err := unix.UtimesNanoAt(pfd, base, []unix.Timespec{atime, mtime}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}
