package mounts

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeSys is a Sys over a tiny in-memory tree that records what the
// executor asks of the kernel, with descriptors named by the object they
// were opened on: in-root paths as they are ("/proc"), host paths as
// "host:/src", detached trees as "tree:/rootfs". A descriptor opened before
// a mount was placed on its path shows as "/data@under": it still refers to
// what the mount covers, as in the kernel.
//
// Resolve looks the cleaned path up and follows only a final symlink (so
// that a dangling one reads as missing); the real in-root resolution is
// openat2's RESOLVE_IN_ROOT, which the end-to-end tests exercise.
type fakeSys struct {
	t     *testing.T
	tree  map[string]string // in-root path → "dir", "file" or "link:TARGET"
	host  map[string]string // host path → "dir" or "file"
	fail  map[string]error  // a call, as recorded, that fails with this error
	calls []string

	fds      map[int]*fakeFD
	next     int
	rootFD   int
	attached string // host directory the root tree was attached over
}

type fakeFD struct {
	name  string
	under bool
}

func newFake(t *testing.T, tree, host map[string]string) *fakeSys {
	f := &fakeSys{t: t, tree: map[string]string{"/": "dir"}, host: host, fail: map[string]error{},
		fds: map[int]*fakeFD{}, next: 10, rootFD: -1}
	for p, kind := range tree {
		f.tree[p] = kind
	}
	return f
}

// record notes a call and returns the error it was told to fail with.
func (f *fakeSys) record(format string, args ...any) error {
	call := fmt.Sprintf(format, args...)
	f.calls = append(f.calls, call)
	return f.fail[call]
}

func (f *fakeSys) open(name string) int {
	f.next++
	f.fds[f.next] = &fakeFD{name: name}
	return f.next
}

// name is what a path argument of mount(2) refers to, and the in-root
// path it names ("" for anything else).
func (f *fakeSys) name(p string) (shown, inRoot string) {
	n, ok := strings.CutPrefix(p, "/proc/self/fd/")
	if !ok {
		return p, ""
	}
	fd, _ := strconv.Atoi(n)
	o, ok := f.fds[fd]
	switch {
	case !ok:
		f.t.Errorf("mount(2) given descriptor %d, which is not open", fd)
		return "closed:" + n, ""
	case strings.Contains(o.name, ":"):
		return o.name, ""
	case o.under:
		return o.name + "@under", o.name
	}
	return o.name, o.name
}

func (f *fakeSys) inRoot(dir int, name string) (string, error) {
	o, ok := f.fds[dir]
	if !ok || strings.Contains(o.name, ":") {
		f.t.Errorf("in-root call on descriptor %d (%v), not an in-root directory", dir, o)
		return "", unix.EBADF
	}
	return path.Join(o.name, name), nil
}

func (f *fakeSys) Resolve(root int, p string, flags int) (int, error) {
	if root != f.rootFD {
		f.t.Errorf("Resolve(%d, %s) not relative to the root (%d)", root, p, f.rootFD)
		return -1, unix.EBADF
	}
	p = path.Clean("/" + p)
	for range 40 {
		kind, ok := f.tree[p]
		if !ok {
			return -1, unix.ENOENT
		}
		target, isLink := strings.CutPrefix(kind, "link:")
		if !isLink {
			return f.open(p), nil
		}
		p = path.Clean(path.Join(path.Dir(p), target))
	}
	return -1, unix.ELOOP
}

func (f *fakeSys) OpenHost(p string) (int, error) {
	if p == f.attached {
		if err := f.record("open %s as root", p); err != nil {
			return -1, err
		}
		f.rootFD = f.open("/")
		return f.rootFD, nil
	}
	if err := f.record("open %s", p); err != nil {
		return -1, err
	}
	if _, ok := f.host[p]; !ok {
		return -1, unix.ENOENT
	}
	return f.open("host:" + p), nil
}

func (f *fakeSys) Mount(src, dst, fstype string, flags uintptr, data string) error {
	if src == "" {
		src = "none"
	}
	src, _ = f.name(src)
	target, inRoot := f.name(dst)
	var how []string
	for _, s := range []string{fstype, mountFlags(flags), data} {
		if s != "" {
			how = append(how, s)
		}
	}
	if err := f.record("mount %s on %s (%s)", src, target, strings.Join(how, ", ")); err != nil {
		return err
	}
	if fstype == "overlay" {
		f.attached = dst
	}
	if inRoot == "" {
		return nil
	}
	// What was open at the mount point now sits under the mount.
	for _, o := range f.fds {
		if o.name == inRoot {
			o.under = true
		}
	}
	if flags&unix.MS_BIND == 0 {
		for p := range f.tree { // a new filesystem starts empty
			if strings.HasPrefix(p, strings.TrimSuffix(inRoot, "/")+"/") {
				delete(f.tree, p)
			}
		}
	}
	return nil
}

func (f *fakeSys) SetReadOnly(fd int, recursive bool) error {
	call, _ := f.name(fdPath(fd))
	call = "read-only " + call
	if recursive {
		call += " (recursive)"
	}
	return f.record("%s", call)
}

func (f *fakeSys) CloneTree(p string) (int, error) {
	if err := f.record("clone %s", p); err != nil {
		return -1, err
	}
	return f.open("tree:" + p), nil
}

func (f *fakeSys) Attach(tree int, dst string) error {
	if err := f.record("attach %s on %s", f.fds[tree].name, dst); err != nil {
		return err
	}
	f.attached = dst
	return nil
}

func (f *fakeSys) MountOverlay(o Overlay, dst string) error {
	if err := f.record("fsmount overlay lower=%s upper=%s work=%s on %s", strings.Join(o.Lower, ":"), o.Upper, o.Work, dst); err != nil {
		return err
	}
	f.attached = dst
	return nil
}

func (f *fakeSys) Chdir(dir string) error { return f.record("chdir %s", dir) }

func (f *fakeSys) Mkdirat(dir int, name string) error {
	return f.create(dir, name, "mkdir", "", "dir")
}

func (f *fakeSys) Createat(dir int, name string, data []byte) error {
	return f.create(dir, name, "create", fmt.Sprintf(" (%d bytes)", len(data)), "file")
}

func (f *fakeSys) Symlinkat(target string, dir int, name string) error {
	return f.create(dir, name, "symlink", " -> "+target, "link:"+target)
}

func (f *fakeSys) create(dir int, name, verb, detail, kind string) error {
	p, err := f.inRoot(dir, name)
	if err != nil {
		return err
	}
	if err := f.record("%s %s%s", verb, p, detail); err != nil {
		return err
	}
	if _, ok := f.tree[p]; ok {
		return unix.EEXIST
	}
	f.tree[p] = kind
	return nil
}

func (f *fakeSys) Readlinkat(dir int, name string) (string, error) {
	p, err := f.inRoot(dir, name)
	if err != nil {
		return "", err
	}
	target, ok := strings.CutPrefix(f.tree[p], "link:")
	if !ok {
		return "", unix.EINVAL
	}
	return target, nil
}

func (f *fakeSys) Unlinkat(dir int, name string) error {
	p, err := f.inRoot(dir, name)
	if err != nil {
		return err
	}
	if err := f.record("unlink %s", p); err != nil {
		return err
	}
	if _, ok := f.tree[p]; !ok {
		return unix.ENOENT
	}
	delete(f.tree, p)
	return nil
}

func (f *fakeSys) IsDir(fd int) (bool, error) {
	o, ok := f.fds[fd]
	if !ok {
		f.t.Errorf("IsDir of closed descriptor %d", fd)
		return false, unix.EBADF
	}
	if p, ok := strings.CutPrefix(o.name, "host:"); ok {
		return f.host[p] == "dir", nil
	}
	return f.tree[o.name] == "dir", nil
}

func (f *fakeSys) Close(fd int) {
	if _, ok := f.fds[fd]; !ok {
		f.t.Errorf("Close of descriptor %d that is not open", fd)
	}
	delete(f.fds, fd)
}

// openNames lists the descriptors still open, by name.
func (f *fakeSys) openNames() []string {
	var names []string
	for _, o := range f.fds {
		names = append(names, o.name)
	}
	return names
}

func mountFlags(flags uintptr) string {
	var names []string
	for _, fl := range []struct {
		bit  uintptr
		name string
	}{
		{unix.MS_RDONLY, "MS_RDONLY"}, {unix.MS_NOSUID, "MS_NOSUID"}, {unix.MS_NODEV, "MS_NODEV"},
		{unix.MS_NOEXEC, "MS_NOEXEC"}, {unix.MS_STRICTATIME, "MS_STRICTATIME"}, {unix.MS_BIND, "MS_BIND"},
		{unix.MS_REC, "MS_REC"}, {unix.MS_PRIVATE, "MS_PRIVATE"},
	} {
		if flags&fl.bit != 0 {
			names = append(names, fl.name)
			flags &^= fl.bit
		}
	}
	if flags != 0 {
		names = append(names, fmt.Sprintf("%#x", flags))
	}
	return strings.Join(names, "|")
}
