package nsjob

import (
	"errors"
	"fmt"
	"path"

	"golang.org/x/sys/unix"
	"nook/layer"
)

// nondir copies a file, symlink or fifo to name in dst (the way is clear:
// entry removed what was there). A second name of a file this layer
// already copied becomes a hard link to the copy.
func (f *flattener) nondir(src, dst int, name, q string, st *unix.Stat_t) error {
	id := inode{dev: st.Dev, ino: st.Ino}
	if st.Nlink > 1 {
		if first, ok := f.links[id]; ok {
			return f.link(first, dst, name)
		}
	}
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		err = f.file(src, dst, name, st)
	case unix.S_IFLNK:
		err = symlink(src, dst, name, st)
	case unix.S_IFIFO:
		err = fifo(dst, name, st)
	}
	if err == nil && st.Nlink > 1 {
		f.links[id] = q
	}
	return err
}

// link hard-links name to first, a path in dst this layer created.
func (f *flattener) link(first string, dst int, name string) error {
	tfd, err := inRoot(f.root, path.Dir(first), unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(tfd)
	// Without AT_SYMLINK_FOLLOW a symlink is linked itself, never followed.
	if err := unix.Linkat(tfd, path.Base(first), dst, name, 0); err != nil {
		return fmt.Errorf("link to %q: %w", first, err)
	}
	return nil
}

func (f *flattener) file(src, dst int, name string, st *unix.Stat_t) error {
	// O_NONBLOCK: should the entry have become a fifo since fstatat, the
	// open must not hang; the fstat below refuses it.
	sfd, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer unix.Close(sfd)
	if err := unix.Fstat(sfd, st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("changed while being copied (%v)", err)
	}
	dfd, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if err := f.fill(dfd, sfd, st); err != nil {
		unix.Close(dfd)
		return err
	}
	if err := unix.Close(dfd); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return setTimes(dst, name, st.Atim, st.Mtim)
}

// fill gives the new file dfd the data, owner, mode and xattrs of sfd.
func (f *flattener) fill(dfd, sfd int, st *unix.Stat_t) error {
	if err := f.copyData(dfd, sfd, st.Size); err != nil {
		return err
	}
	if err := setOwnerMode(dfd, int(st.Uid), int(st.Gid), st.Mode&0o7777); err != nil {
		return err
	}
	copyXattrs(sfd, dfd)
	return nil
}

func symlink(src, dst int, name string, st *unix.Stat_t) error {
	target, err := readlink(src, name)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat(target, dst, name); err != nil {
		return fmt.Errorf("symlink: %w", err)
	}
	uid, gid := int(st.Uid), int(st.Gid)
	if err := chown(func() error { return unix.Fchownat(dst, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW) }, uid, gid); err != nil {
		return err
	}
	// Some filesystems refuse times on symlinks; nothing reads them.
	_ = setTimes(dst, name, st.Atim, st.Mtim)
	return nil
}

func readlink(dir int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dir, name, buf)
		if err != nil {
			return "", fmt.Errorf("readlink: %w", err)
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

func fifo(dst int, name string, st *unix.Stat_t) error {
	if err := unix.Mknodat(dst, name, unix.S_IFIFO|0o600, 0); err != nil {
		return fmt.Errorf("mkfifo: %w", err)
	}
	// Opened for reading without blocking, for fchown and fchmod (the
	// *at forms would follow a symlink planted there).
	fd, err := unix.Openat(dst, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open fifo: %w", err)
	}
	defer unix.Close(fd)
	if err := setOwnerMode(fd, int(st.Uid), int(st.Gid), st.Mode&0o7777); err != nil {
		return err
	}
	return setTimes(dst, name, st.Atim, st.Mtim)
}

// copyData copies the data extents of sfd (SEEK_DATA/SEEK_HOLE), so holes
// stay holes; copy_file_range lets the filesystem share blocks where it
// can.
func (f *flattener) copyData(dfd, sfd int, size int64) error {
	var off int64
	for off < size {
		data, err := unix.Seek(sfd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // only a hole is left
		}
		end := size
		if err != nil {
			data = off // no SEEK_DATA here: copy everything
		} else if hole, err := unix.Seek(sfd, data, unix.SEEK_HOLE); err == nil {
			end = min(hole, size)
		}
		if err := f.copyRange(dfd, sfd, data, end-data); err != nil {
			return err
		}
		off = end
	}
	if err := unix.Ftruncate(dfd, size); err != nil {
		return fmt.Errorf("truncate to %d bytes: %w", size, err)
	}
	return nil
}

func (f *flattener) copyRange(dfd, sfd int, off, n int64) error {
	roff, woff := off, off
	for n > 0 {
		c, err := unix.CopyFileRange(sfd, &roff, dfd, &woff, int(min(n, 1<<30)), 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return f.copyRangeSlow(dfd, sfd, roff, n)
		}
		if c == 0 {
			return errors.New("file shrank while being copied")
		}
		n -= int64(c)
	}
	return nil
}

// copyRangeSlow is for where copy_file_range is refused (across
// filesystems on older kernels, some FUSE and network filesystems).
func (f *flattener) copyRangeSlow(dfd, sfd int, off, n int64) error {
	for n > 0 {
		c, err := unix.Pread(sfd, f.buf[:min(n, int64(len(f.buf)))], off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if c == 0 {
			return errors.New("file shrank while being copied")
		}
		if err := layer.PwriteAll(dfd, f.buf[:c], off); err != nil {
			return err
		}
		off += int64(c)
		n -= int64(c)
	}
	return nil
}
