package layer

import (
	"fmt"
	"sort"

	"golang.org/x/sys/unix"
)

// dirMeta is what a directory entry asks for, applied by applyDirs.
type dirMeta struct {
	mode     uint32
	uid, gid int
	atime    unix.Timespec
	mtime    unix.Timespec
	// implicit directories were created for entries whose parents the layer
	// does not list: they get mode 0755 and keep the unpacker's owner and
	// the current time, as Docker and containerd make them.
	implicit bool
}

// applyDirs sets directory modes, owners and times, deepest first: a
// directory's own metadata changes nothing in its parent, and every parent
// stays searchable until its children are done.
func (u *unpacker) applyDirs() error {
	paths := make([]string, 0, len(u.dirs))
	for p := range u.dirs {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		di, dj := depth(paths[i]), depth(paths[j])
		if di != dj {
			return di > dj
		}
		return paths[i] < paths[j]
	})
	for _, p := range paths {
		if err := u.applyDir(p, u.dirs[p]); err != nil {
			return u.entryError(p, err)
		}
	}
	return nil
}

func depth(p string) int {
	if p == "." {
		return -1
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			n++
		}
	}
	return n
}

func (u *unpacker) applyDir(p string, m dirMeta) error {
	parent, base := split(p)
	pfd, err := u.openDir(parent, false, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open directory: %w", err)
	}
	defer unix.Close(fd)
	if u.o.Chown && !m.implicit {
		if err := u.chown(func() error { return unix.Fchown(fd, m.uid, m.gid) }, m.uid, m.gid); err != nil {
			return err
		}
	}
	if err := unix.Fchmod(fd, m.mode); err != nil {
		return fmt.Errorf("chmod %04o: %w", m.mode, err)
	}
	if m.implicit {
		return nil
	}
	return setTimes(pfd, base, m.atime, m.mtime)
}
