package nsjob

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
	"nook/layer"
)

// flattener builds the union of layers in dst, bottom layer first: each
// layer is copied over what the layers below left, the way overlayfs
// resolves a name top-down. Everything in dst is created relative to a
// descriptor of its parent, itself opened without following symlinks, so
// no layer content can make it write outside dst.
type flattener struct {
	root     int                     // O_PATH descriptor of dst
	whiteout func(*unix.Stat_t) bool // the overlay whiteout test (a seam for tests)
	dirs     map[string]dirMeta      // pending metadata, the topmost layer's
	links    map[inode]string        // this layer's multiply linked files, first dst path
	buf      []byte
}

type inode struct{ dev, ino uint64 }

// isWhiteout is overlayfs's whiteout: a character device 0/0.
func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

func flatten(dst string, layers []string, whiteout func(*unix.Stat_t) bool) error {
	f, err := newFlattener(dst, whiteout)
	if err != nil {
		return fmt.Errorf("flatten into %s: %w", dst, err)
	}
	defer unix.Close(f.root)
	for _, l := range layers {
		if err := f.layer(l); err != nil {
			return fmt.Errorf("flatten %s into %s: %w", l, dst, err)
		}
	}
	if err := f.applyDirs(); err != nil {
		return fmt.Errorf("flatten into %s: %w", dst, err)
	}
	return nil
}

func newFlattener(dst string, whiteout func(*unix.Stat_t) bool) (*flattener, error) {
	d, err := os.Open(dst)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(1)
	d.Close()
	if len(names) > 0 {
		return nil, errors.New("directory is not empty")
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	root, err := unix.Open(dst, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &flattener{root: root, whiteout: whiteout, dirs: map[string]dirMeta{}, buf: make([]byte, 256<<10)}, nil
}

// layer merges one layer directory into dst.
func (f *flattener) layer(dir string) error {
	src, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(src)
	dst, err := inRoot(f.root, ".", unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(dst)
	// Hard links are only kept within a layer: an inode of another layer
	// is another file.
	f.links = map[inode]string{}
	return f.merge(src, dst, ".")
}

// merge copies the entries of the layer directory src onto the dst
// directory dst, both at p.
func (f *flattener) merge(src, dst int, p string) error {
	names, err := readNames(src)
	if err != nil {
		return fmt.Errorf("read %q: %w", p, err)
	}
	for _, name := range names {
		q := path.Join(p, name)
		var st unix.Stat_t
		if err := unix.Fstatat(src, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("%q: %w", q, err)
		}
		if err := f.entry(src, dst, name, q, &st); err != nil {
			return fmt.Errorf("%q: %w", q, err)
		}
	}
	return nil
}

func (f *flattener) entry(src, dst int, name, q string, st *unix.Stat_t) error {
	if f.whiteout(st) {
		return f.remove(dst, name, q)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return f.dir(src, dst, name, q, st)
	case unix.S_IFREG, unix.S_IFLNK, unix.S_IFIFO:
		if err := f.remove(dst, name, q); err != nil {
			return err
		}
		return f.nondir(src, dst, name, q, st)
	}
	// Devices and sockets: layer.Unpack never creates them (whiteouts
	// aside), and the container gets /dev from the runtime.
	return nil
}

// remove deletes what lower layers put at name, a whole tree for a
// directory.
func (f *flattener) remove(dst int, name, q string) error {
	err := removeAt(dst, name)
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove the lower entry: %w", err)
	}
	f.forget(q, true)
	return nil
}

// forget drops the pending metadata of directories below q (and of q).
func (f *flattener) forget(q string, self bool) {
	for d := range f.dirs {
		if (self && d == q) || strings.HasPrefix(d, q+"/") || q == "." {
			delete(f.dirs, d)
		}
	}
}

// dir merges a layer directory with the one below (the union), or
// replaces what else is there; an opaque one hides the lower contents.
func (f *flattener) dir(src, dst int, name, q string, st *unix.Stat_t) error {
	var cur unix.Stat_t
	err := unix.Fstatat(dst, name, &cur, unix.AT_SYMLINK_NOFOLLOW)
	exists := err == nil && cur.Mode&unix.S_IFMT == unix.S_IFDIR
	if err == nil && !exists {
		if err := f.remove(dst, name, q); err != nil {
			return err
		}
	}
	sfd, err := openDirNoFollow(src, name)
	if err != nil {
		return err
	}
	defer unix.Close(sfd)
	if !exists {
		if err := unix.Mkdirat(dst, name, 0o700); err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
	}
	dfd, err := inRoot(dst, name, unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	if exists && opaque(sfd) {
		if err := clearDir(dfd); err != nil {
			return fmt.Errorf("hide the lower contents: %w", err)
		}
		f.forget(q, false)
	}
	copyXattrs(sfd, dfd)
	f.dirs[q] = metaOf(st)
	return f.merge(sfd, dfd, q)
}

func opaque(fd int) bool {
	var v [1]byte
	n, err := unix.Fgetxattr(fd, layer.OpaqueXattr, v[:])
	return err == nil && n == 1 && v[0] == 'y'
}

// inRoot opens p below the directory dir, never through a symlink.
func inRoot(dir int, p string, flags int) (int, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_DIRECTORY | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(dir, p, &how)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, fmt.Errorf("open directory %q: %w", p, err)
		}
		return fd, nil
	}
}

// readNames lists the directory fd (sorted: the same layers give the same
// tree, errors included).
func readNames(fd int) ([]string, error) {
	dup, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	d := os.NewFile(uintptr(dup), "dir")
	defer d.Close()
	names, err := d.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}
