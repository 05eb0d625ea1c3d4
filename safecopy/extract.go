package safecopy

import (
	"archive/tar"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// extractor writes entries into one destination directory. Entry names
// come from the other side (a container's listing, a tar stream), so below
// that directory no symlink is ever followed: each parent is entered from
// its own parent's descriptor with O_NOFOLLOW, and each entry is created
// in it under a temporary name and renamed into place, so a symlink (or
// anything else) planted at its name is replaced, never written through,
// and a failed copy leaves no half-written file behind.
type extractor struct {
	root       *Root
	disp       string    // the directory's path in its root
	stack      []openDir // [0] the directory (not ours to close), then the parents entered
	keepOwners bool
	made       []madeDir // their modes and times are set last
}

type openDir struct {
	name string // relative to the destination directory
	fd   int    // O_PATH
}

type madeDir struct {
	name string
	h    *tar.Header
}

func newExtractor(root *Root, dir int, disp string, keepOwners bool) *extractor {
	return &extractor{root: root, disp: disp, stack: []openDir{{fd: dir}}, keepOwners: keepOwners}
}

func (x *extractor) close() {
	for len(x.stack) > 1 {
		x.pop()
	}
}

func (x *extractor) pop() {
	unix.Close(x.stack[len(x.stack)-1].fd)
	x.stack = x.stack[:len(x.stack)-1]
}

func (x *extractor) fail(op, name string, err error) error {
	return &PathError{Op: op, Path: path.Join(x.disp, name), Root: x.root, Err: err}
}

// put writes one entry; its parent directories are made when missing.
func (x *extractor) put(h *tar.Header, body io.Reader) error {
	name, err := entryName(h.Name)
	if err != nil || name == "" {
		return err
	}
	dir, base := path.Split(name)
	parent, err := x.parent(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return x.mkdir(parent, name, base, h)
	case tar.TypeReg:
		return x.place(parent, name, base, func(tmp string) error { return x.file(parent, tmp, h, body) })
	case tar.TypeSymlink:
		return x.place(parent, name, base, func(tmp string) error { return x.symlink(parent, tmp, h) })
	case tar.TypeFifo:
		return x.place(parent, name, base, func(tmp string) error { return x.fifo(parent, tmp, h) })
	case tar.TypeLink:
		return x.hardlink(parent, name, base, h)
	case tar.TypeXGlobalHeader:
		return nil // pax defaults for what follows, which has them itself
	case tar.TypeChar, tar.TypeBlock:
		return x.fail("create", name, errors.New("a device file, which only a privileged process can make"))
	}
	return x.fail("create", name, fmt.Errorf("unsupported tar entry type %q", h.Typeflag))
}

// entryName checks a name from the other side: relative, and never
// above the destination directory; "" is the directory itself.
func entryName(n string) (string, error) {
	p := path.Clean(strings.TrimLeft(n, "/"))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("tar entry %q: the name leaves the destination directory", n)
	}
	if p == "." {
		return "", nil
	}
	return p, nil
}

// parent returns the descriptor of dir (relative to the destination),
// entering it one element at a time from the deepest parent still open.
func (x *extractor) parent(dir string) (int, error) {
	for len(x.stack) > 1 && !within(dir, x.stack[len(x.stack)-1].name) {
		x.pop()
	}
	top := x.stack[len(x.stack)-1]
	rest := strings.TrimPrefix(strings.TrimPrefix(dir, top.name), "/")
	if rest == "" {
		return top.fd, nil
	}
	for _, c := range strings.Split(rest, "/") {
		name := join(top.name, c)
		fd, err := x.enter(top.fd, c, name)
		if err != nil {
			return -1, err
		}
		top = openDir{name: name, fd: fd}
		x.stack = append(x.stack, top)
	}
	return top.fd, nil
}

func within(dir, ancestor string) bool {
	return ancestor == "" || dir == ancestor || strings.HasPrefix(dir, ancestor+"/")
}

// enter opens the directory c of dir, making it (0755, as docker cp does
// for the parents a tar stream leaves out) when missing.
func (x *extractor) enter(dir int, c, name string) (int, error) {
	const flags = unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(dir, c, flags, 0)
	if errors.Is(err, unix.ENOENT) {
		if err = unix.Mkdirat(dir, c, 0o755); err == nil || errors.Is(err, unix.EEXIST) {
			fd, err = unix.Openat(dir, c, flags, 0)
		}
	}
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		err = errors.New("not a directory (nook cp follows no symlink below the destination)")
	}
	if err != nil {
		return -1, x.fail("enter", name, err)
	}
	return fd, nil
}

// mkdir makes a directory, or merges into one already there, which keeps
// its own owner, mode and times.
func (x *extractor) mkdir(parent int, name, base string, h *tar.Header) error {
	err := unix.Mkdirat(parent, base, 0o700)
	if errors.Is(err, unix.EEXIST) {
		var st unix.Stat_t
		if err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return x.fail("stat", name, err)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			return nil
		}
		return x.fail("copy a directory onto", name, errors.New("it exists and is not a directory"))
	}
	if err != nil {
		return x.fail("create", name, err)
	}
	if x.keepOwners {
		fd, err := unix.Openat(parent, base, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Fchownat(fd, "", h.Uid, h.Gid, unix.AT_EMPTY_PATH)
			unix.Close(fd)
		}
		if err != nil {
			return x.fail("create", name, x.ownerError(h, err))
		}
	}
	x.made = append(x.made, madeDir{name: name, h: h})
	return nil
}

// place makes a non-directory with create under a fresh temporary name in
// parent, then renames it over base: a symlink or file at base is
// replaced as a whole, a directory is not (as docker cp refuses).
func (x *extractor) place(parent int, name, base string, create func(tmp string) error) error {
	var st unix.Stat_t
	err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return x.fail("copy onto", name, errors.New("it is a directory, which a non-directory cannot replace"))
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return x.fail("stat", name, err)
	}
	for range 10 {
		tmp := tempName()
		err := create(tmp)
		if errors.Is(err, unix.EEXIST) {
			continue // the container made that name meanwhile: another one
		}
		if err == nil {
			err = unix.Renameat(parent, tmp, parent, base)
		}
		if err != nil {
			_ = unix.Unlinkat(parent, tmp, 0)
			return x.fail("write", name, err)
		}
		return nil
	}
	return x.fail("write", name, errors.New("no free temporary name"))
}

func tempName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return ".nook-cp-" + hex.EncodeToString(b[:])
}

// file writes a regular file: exactly h.Size bytes of body.
func (x *extractor) file(parent int, tmp string, h *tar.Header, body io.Reader) error {
	fd, err := unix.Openat(parent, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), tmp)
	defer f.Close()
	if err := copyExactly(f, body, h.Size); err != nil {
		return unwrapOS(err)
	}
	if err := x.chown(fd, h); err != nil {
		return err
	}
	// After the chown, which clears the set-id bits.
	if err := unix.Fchmod(fd, uint32(h.Mode&0o7777)); err != nil {
		return err
	}
	if err := setTimes(fdPath(fd), h); err != nil {
		return err
	}
	return f.Close()
}

func (x *extractor) symlink(parent int, tmp string, h *tar.Header) error {
	if err := unix.Symlinkat(h.Linkname, parent, tmp); err != nil {
		return err
	}
	if x.keepOwners {
		if err := unix.Fchownat(parent, tmp, h.Uid, h.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return x.ownerError(h, err)
		}
	}
	ts := times(h)
	return unix.UtimesNanoAt(parent, tmp, ts[:], unix.AT_SYMLINK_NOFOLLOW)
}

func (x *extractor) fifo(parent int, tmp string, h *tar.Header) error {
	if err := unix.Mknodat(parent, tmp, unix.S_IFIFO|0o600, 0); err != nil {
		return err
	}
	// By descriptor from here: the name is in a directory the container
	// can change, and these calls would follow a symlink put there.
	fd, err := unix.Openat(parent, tmp, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fmt.Errorf("the FIFO made was replaced (%v)", err)
	}
	if x.keepOwners {
		if err := unix.Fchownat(fd, "", h.Uid, h.Gid, unix.AT_EMPTY_PATH); err != nil {
			return x.ownerError(h, err)
		}
	}
	if err := unix.Chmod(fdPath(fd), uint32(h.Mode&0o7777)); err != nil {
		return err
	}
	return setTimes(fdPath(fd), h)
}

// hardlink links name to h.Linkname, an entry already copied (or there).
func (x *extractor) hardlink(parent int, name, base string, h *tar.Header) error {
	target, err := entryName(h.Linkname)
	if err == nil && target == "" {
		err = fmt.Errorf("tar entry %q: a hard link to the destination directory", h.Name)
	}
	if err != nil {
		return err
	}
	dir := path.Dir(target)
	tdir, err := openat2(x.stack[0].fd, dir, unix.O_PATH|unix.O_DIRECTORY, beneath)
	if err != nil {
		return x.fail("link to", target, err)
	}
	defer unix.Close(tdir)
	return x.place(parent, name, base, func(tmp string) error {
		return unix.Linkat(tdir, path.Base(target), parent, tmp, 0)
	})
}

func (x *extractor) chown(fd int, h *tar.Header) error {
	if !x.keepOwners {
		return nil
	}
	if err := unix.Fchown(fd, h.Uid, h.Gid); err != nil {
		return x.ownerError(h, err)
	}
	return nil
}

// ownerError explains a refused -a: from outside the container's user
// namespace, the caller can give only its own ids, the container root's.
func (x *extractor) ownerError(h *tar.Header, err error) error {
	owner := fmt.Sprintf("%d:%d", h.Uid, h.Gid)
	if x.root.uids != nil {
		owner = fmt.Sprintf("%d:%d (%s on the host)", fromHost(x.root.uids, h.Uid), fromHost(x.root.gids, h.Gid), owner)
	}
	return fmt.Errorf("keep the owner %s with -a: %w (only the container root's can be given from outside it: copy without -a)", owner, err)
}

// times are the entry's modification time; its access time is left as
// the copy made it.
func times(h *tar.Header) [2]unix.Timespec {
	return [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(h.ModTime.UnixNano())}
}

func setTimes(p string, h *tar.Header) error {
	ts := times(h)
	return unix.UtimesNano(p, ts[:])
}

// finish gives the directories made their modes and times, deepest first:
// making their entries changed their times, and a read-only mode would
// have kept those entries from being made.
func (x *extractor) finish() error {
	for i := len(x.made) - 1; i >= 0; i-- {
		d := x.made[i]
		fd, err := openat2(x.stack[0].fd, d.name, unix.O_PATH|unix.O_DIRECTORY, beneath)
		if err != nil {
			return x.fail("open", d.name, err)
		}
		err = unix.Chmod(fdPath(fd), uint32(d.h.Mode&0o7777))
		if err == nil {
			err = setTimes(fdPath(fd), d.h)
		}
		unix.Close(fd)
		if err != nil {
			return x.fail("set the mode and time of", d.name, err)
		}
	}
	return nil
}
