package layer

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

var (
	// containerd refuses symlinks in parent paths too, even when they point
	// inside the layer: a layer never needs one (tar lists real paths), and
	// not following any is simpler to trust than following them carefully.
	errParentSymlink = unsafeError("parent is a symlink")
	errParentNotDir  = errors.New("parent is not a directory")
)

// cleanPath turns an entry name into a clean relative path, "." for the
// layer's root. Like Docker, it refuses names that leave the root instead of
// rewriting them.
func cleanPath(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty name")
	}
	if strings.HasPrefix(name, "/") {
		return "", unsafeError("path is absolute")
	}
	p := path.Clean(name)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", unsafeError("path leaves the layer")
	}
	return p, nil
}

// split returns the parent directory and the last element of a clean path.
func split(p string) (parent, base string) {
	return path.Dir(p), path.Base(p)
}

// resolve never follows a symlink, not even one inside the layer; IN_ROOT
// keeps the kernel's resolution inside the root whatever the path says.
const resolve = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_SYMLINKS

func openat2(dirfd int, p string, flags int) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolve}
	for {
		fd, err := unix.Openat2(dirfd, p, &how)
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// openDir opens the directory p (a clean path) inside the layer with flags
// (O_PATH for a parent to create in). With create, missing directories are
// made one at a time, each from its parent's descriptor.
func (u *unpacker) openDir(p string, create bool, flags int) (int, error) {
	fd, err := openat2(u.root, p, flags|unix.O_DIRECTORY)
	if err == nil {
		return fd, nil
	}
	if !create || !errors.Is(err, unix.ENOENT) {
		return -1, dirError(p, err)
	}
	cur, err := openat2(u.root, ".", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return -1, dirError(".", err)
	}
	parts := strings.Split(p, "/")
	for i, c := range parts {
		fl := unix.O_PATH
		if i == len(parts)-1 {
			fl = flags
		}
		next, err := openat2(cur, c, fl|unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) {
			err = unix.Mkdirat(cur, c, 0o755)
			if err == nil {
				q := strings.Join(parts[:i+1], "/")
				if _, ok := u.dirs[q]; !ok {
					u.dirs[q] = dirMeta{mode: 0o755, implicit: true}
				}
			}
			if err == nil || errors.Is(err, unix.EEXIST) {
				next, err = openat2(cur, c, fl|unix.O_DIRECTORY)
			}
		}
		unix.Close(cur)
		if err != nil {
			return -1, dirError(strings.Join(parts[:i+1], "/"), err)
		}
		cur = next
	}
	return cur, nil
}

func dirError(p string, err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		return errParentSymlink
	case errors.Is(err, unix.ENOTDIR):
		return errParentNotDir
	}
	return fmt.Errorf("open directory %q: %w", p, err)
}

// place creates the entry p (base in the directory pfd) with mk. Should an
// earlier entry of this layer be in the way, that one is removed first:
// later entries win. mk must never follow a symlink at base.
func (u *unpacker) place(pfd int, p, base string, mk func() error) error {
	err := mk()
	if errors.Is(err, unix.EEXIST) {
		if err = u.clear(pfd, p, base); err == nil {
			err = mk()
		}
	}
	return err
}

// clear removes whatever is at base in pfd, a whole tree for a directory.
// unlinkat acts on the name itself: a symlink there is removed, not followed.
func (u *unpacker) clear(pfd int, p, base string) error {
	err := unix.Unlinkat(pfd, base, 0)
	if errors.Is(err, unix.EISDIR) {
		u.forgetDirs(p)
		err = removeAll(pfd, base)
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("replace the earlier entry: %w", err)
	}
	return nil
}

// forgetDirs drops the pending metadata of the directory p and those below.
func (u *unpacker) forgetDirs(p string) {
	for q := range u.dirs {
		if q == p || strings.HasPrefix(q, p+"/") {
			delete(u.dirs, q)
		}
	}
}

func removeAll(parent int, name string) error {
	err := unix.Unlinkat(parent, name, 0)
	if !errors.Is(err, unix.EISDIR) {
		return err
	}
	fd, err := unix.Openat(parent, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(fd), name)
	defer d.Close()
	for {
		names, err := d.Readdirnames(1024)
		for _, n := range names {
			if err := removeAll(fd, n); err != nil && !errors.Is(err, unix.ENOENT) {
				return err
			}
		}
		if err != nil {
			break // io.EOF, or the unlinkat below reports what is left
		}
	}
	return unix.Unlinkat(parent, name, unix.AT_REMOVEDIR)
}
