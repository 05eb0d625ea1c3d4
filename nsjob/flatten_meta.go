package nsjob

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// dirMeta is a directory's metadata, applied once every layer is in: the
// copying changes directory times, and a read-only directory must stay
// writable until then.
type dirMeta struct {
	mode         uint32
	uid, gid     int
	atime, mtime unix.Timespec
}

func metaOf(st *unix.Stat_t) dirMeta {
	return dirMeta{mode: st.Mode & 0o7777, uid: int(st.Uid), gid: int(st.Gid), atime: st.Atim, mtime: st.Mtim}
}

// applyDirs goes deepest first, so every parent stays searchable (and
// its times untouched) until its children are done.
func (f *flattener) applyDirs() error {
	paths := make([]string, 0, len(f.dirs))
	for p := range f.dirs {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		di, dj := strings.Count(paths[i], "/"), strings.Count(paths[j], "/")
		if di != dj {
			return di > dj
		}
		return paths[i] < paths[j]
	})
	for _, p := range paths {
		if err := f.applyDir(p, f.dirs[p]); err != nil {
			return fmt.Errorf("%q: %w", p, err)
		}
	}
	return nil
}

func (f *flattener) applyDir(p string, m dirMeta) error {
	pfd, err := inRoot(f.root, path.Dir(p), unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	fd, err := openDirNoFollow(pfd, path.Base(p))
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := setOwnerMode(fd, m.uid, m.gid, m.mode); err != nil {
		return err
	}
	return setTimes(pfd, path.Base(p), m.atime, m.mtime)
}

// setOwnerMode chowns first: chown clears setuid, setgid and
// security.capability, which the mode and the xattrs then restore.
func setOwnerMode(fd, uid, gid int, mode uint32) error {
	if err := chown(func() error { return unix.Fchown(fd, uid, gid) }, uid, gid); err != nil {
		return err
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		return fmt.Errorf("chmod %04o: %w", mode, err)
	}
	return nil
}

// chown explains the EINVAL of an owner outside the namespace's map
// (a layer unpacked with more ids than this namespace has).
func chown(fn func() error, uid, gid int) error {
	err := fn()
	if errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("chown %d:%d: the owner is not mapped in this user namespace", uid, gid)
	}
	if err != nil {
		return fmt.Errorf("chown %d:%d: %w", uid, gid, err)
	}
	return nil
}

func setTimes(pfd int, name string, atime, mtime unix.Timespec) error {
	if err := unix.UtimesNanoAt(pfd, name, []unix.Timespec{atime, mtime}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

// copyXattrs copies what package layer would have set: user.* (but not
// overlayfs's own user.overlay.*) and security.capability. Refusals (a
// filesystem without user xattrs) are not errors, as in layer.
func copyXattrs(src, dst int) {
	names, err := listXattrs(src)
	if err != nil {
		return
	}
	buf := make([]byte, 64<<10)
	for _, name := range names {
		if !copiedXattr(name) {
			continue
		}
		n, err := unix.Fgetxattr(src, name, buf)
		if err != nil {
			continue
		}
		_ = unix.Fsetxattr(dst, name, buf[:n], 0)
	}
}

func copiedXattr(name string) bool {
	if strings.HasPrefix(name, "user.overlay.") {
		return false
	}
	return strings.HasPrefix(name, "user.") || name == "security.capability"
}

func listXattrs(fd int) ([]string, error) {
	size, err := unix.Flistxattr(fd, nil)
	if err != nil || size == 0 {
		return nil, err
	}
	buf := make([]byte, size)
	n, err := unix.Flistxattr(fd, buf)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range strings.Split(string(buf[:n]), "\x00") {
		if s != "" {
			names = append(names, s)
		}
	}
	return names, nil
}
