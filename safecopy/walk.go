package safecopy

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// emitFunc receives one entry of a walk; body is the content of a regular
// file (exactly h.Size bytes), nil otherwise.
type emitFunc func(h *tar.Header, body io.Reader) error

// source is SRC_PATH, opened.
type source struct {
	root *Root
	fd   int // O_PATH: the symlink itself, unless followed
	st   unix.Stat_t
	spec pathSpec
}

// openSource opens p in r. Its own symlink is followed with follow (-L) or
// when p ends in "/" (a directory is asked for), always inside the root.
func openSource(r *Root, p string, follow bool) (*source, error) {
	s := &source{root: r, spec: r.parse(p)}
	flags := unix.O_PATH
	if !follow && !s.spec.dirOnly {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := r.open(s.spec.clean, flags)
	if err != nil {
		return nil, &PathError{Op: "find", Path: s.spec.clean, Root: r, Err: err}
	}
	s.fd = fd
	if err := unix.Fstat(fd, &s.st); err != nil {
		s.close()
		return nil, &PathError{Op: "stat", Path: s.spec.clean, Root: r, Err: err}
	}
	if s.spec.dirOnly && !s.isDir() {
		s.close()
		return nil, &PathError{Op: "source", Path: s.spec.clean, Root: r, Err: unix.ENOTDIR}
	}
	return s, nil
}

func (s *source) isDir() bool { return s.st.Mode&unix.S_IFMT == unix.S_IFDIR }

// name is the source's own name in a copy: "" for a directory's contents.
func (s *source) name() string {
	if s.spec.contents {
		return ""
	}
	return path.Base(s.spec.clean)
}

func (s *source) close() { unix.Close(s.fd) }

// walk emits the source as top (its entries at the top level when top is
// ""), then everything below it, parents before children. skip is a
// directory never to enter (the destination, which the copy grows).
func (s *source) walk(top string, skip *inode, emit emitFunc) error {
	w := &walker{root: s.root, emit: emit, skip: skip, links: map[inode]string{}}
	return w.entry(s.fd, &s.st, top, s.spec.clean)
}

type inode struct{ dev, ino uint64 }

func inodeOf(st *unix.Stat_t) inode { return inode{uint64(st.Dev), st.Ino} }

type walker struct {
	root  *Root
	emit  emitFunc
	skip  *inode
	links map[inode]string // first name of each multiply linked file
}

// entry emits the object fd (O_PATH, never followed) as name; disp is its
// path in the root, for messages.
func (w *walker) entry(fd int, st *unix.Stat_t, name, disp string) error {
	h := header(st, name)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return w.dir(fd, st, h, disp)
	case unix.S_IFREG:
		return w.file(fd, st, h, disp)
	case unix.S_IFLNK:
		target, err := readlink(fd)
		if err != nil {
			return &PathError{Op: "read the symlink", Path: disp, Root: w.root, Err: err}
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, target
	case unix.S_IFIFO:
		h.Typeflag = tar.TypeFifo
	case unix.S_IFCHR, unix.S_IFBLK:
		h.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			h.Typeflag = tar.TypeBlock
		}
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	default:
		return nil // a socket: a tar cannot hold one, docker cp skips them too
	}
	return w.emit(h, nil)
}

func header(st *unix.Stat_t, name string) *tar.Header {
	return &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
	}
}

func (w *walker) dir(fd int, st *unix.Stat_t, h *tar.Header, disp string) error {
	if w.skip != nil && inodeOf(st) == *w.skip {
		return &PathError{Op: "copy", Path: disp, Root: w.root, Err: errors.New("it is the destination: a directory cannot be copied into itself")}
	}
	h.Typeflag = tar.TypeDir
	name := h.Name // emit may change h
	if name != "" {
		if err := w.emit(h, nil); err != nil {
			return err
		}
	}
	d, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &PathError{Op: "open", Path: disp, Root: w.root, Err: err}
	}
	f := os.NewFile(uintptr(d), disp)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return &PathError{Op: "list", Path: disp, Root: w.root, Err: unwrapOS(err)}
	}
	sort.Strings(names)
	for _, n := range names {
		if err := w.child(d, n, join(name, n), path.Join(disp, n)); err != nil {
			return err
		}
	}
	return nil
}

// child opens the entry n of the directory dir without following it.
func (w *walker) child(dir int, n, name, disp string) error {
	fd, err := unix.Openat(dir, n, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil // removed since it was listed
	}
	if err != nil {
		return &PathError{Op: "open", Path: disp, Root: w.root, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &PathError{Op: "stat", Path: disp, Root: w.root, Err: err}
	}
	return w.entry(fd, &st, name, disp)
}

func (w *walker) file(fd int, st *unix.Stat_t, h *tar.Header, disp string) error {
	if st.Nlink > 1 {
		if first, ok := w.links[inodeOf(st)]; ok {
			h.Typeflag, h.Linkname = tar.TypeLink, first
			return w.emit(h, nil)
		}
		w.links[inodeOf(st)] = h.Name
	}
	// Reopening the O_PATH descriptor through /proc reads exactly the
	// inode found, which was checked to be a regular file: opening the
	// name again could meet a FIFO swapped in meanwhile and block.
	f, err := reopen(fd, unix.O_RDONLY|unix.O_NOCTTY, disp)
	if err != nil {
		return &PathError{Op: "read", Path: disp, Root: w.root, Err: err}
	}
	defer f.Close()
	h.Typeflag, h.Size = tar.TypeReg, st.Size
	return w.emit(h, f)
}

func reopen(fd int, flags int, name string) (*os.File, error) {
	r, err := unix.Open(fdPath(fd), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(r), name), nil
}

// fdPath names a descriptor for the calls that take only paths: the magic
// link leads to exactly the object opened, wherever it is now.
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

func readlink(fd int) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// unwrapOS drops os's *PathError, whose path is a descriptor's name.
func unwrapOS(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
