package mounts

import (
	"errors"
	"fmt"
	"path"

	"golang.org/x/sys/unix"
)

// Apply builds the container's filesystem from ops on top of dir (the host
// path of the root: the rootfs directory, or "/" for a sandbox) and returns
// a descriptor of the new root, ready for PivotRoot. With ov, the root is
// that overlay, mounted on dir (an empty directory). It runs inside the
// container's mount namespace; nothing it does is visible on the host.
func Apply(sys Sys, dir string, ov *Overlay, ops []Op) (int, error) {
	e := &executor{sys: sys, root: -1, devNull: -1, sources: map[string]int{}}
	defer e.closeSources()
	// Host sources are opened before the root tree is attached: attaching
	// may cover the path they were named by.
	if err := e.openSources(ops); err != nil {
		return -1, err
	}
	if err := e.attachRoot(dir, ov); err != nil {
		return -1, err
	}
	for _, op := range ops {
		if err := e.apply(op); err != nil {
			sys.Close(e.root)
			return -1, fmt.Errorf("%s: %w", op, err)
		}
	}
	return e.root, nil
}

type executor struct {
	sys     Sys
	root    int
	devNull int
	sources map[string]int
}

func (e *executor) openSources(ops []Op) error {
	for _, op := range ops {
		if op.Kind == Mask && e.devNull < 0 {
			fd, err := e.sys.OpenHost("/dev/null")
			if err != nil {
				return fmt.Errorf("open /dev/null: %w", err)
			}
			e.devNull = fd
		}
		if op.Kind != Bind || op.SrcInRoot {
			continue
		}
		if _, ok := e.sources[op.Src]; ok {
			continue
		}
		fd, err := e.sys.OpenHost(op.Src)
		if err != nil {
			return fmt.Errorf("open bind source %s: %w", op.Src, err)
		}
		e.sources[op.Src] = fd
	}
	return nil
}

func (e *executor) closeSources() {
	for _, fd := range e.sources {
		e.sys.Close(fd)
	}
	if e.devNull >= 0 {
		e.sys.Close(e.devNull)
	}
}

// attachRoot puts the root in place (the overlay ov, or a private
// recursive copy of dir's mount tree) and opens it. "/" cannot be covered
// by a mount that lookups of "/" would see, so the host's root is attached
// over /tmp instead (hidden only in this namespace, and only until
// pivot_root).
func (e *executor) attachRoot(dir string, ov *Overlay) error {
	if ov != nil && dir == "/" {
		return fmt.Errorf("an overlay root needs a mount point, not /")
	}
	if err := e.sys.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	target := dir
	if dir == "/" {
		target = "/tmp"
	}
	if ov != nil {
		if err := e.mountOverlay(*ov, target); err != nil {
			return err
		}
	} else if err := e.attachClone(dir, target); err != nil {
		return err
	}
	root, err := e.sys.OpenHost(target)
	if err != nil {
		return fmt.Errorf("open root %s: %w", dir, err)
	}
	e.root = root
	return nil
}

func (e *executor) attachClone(dir, target string) error {
	tree, err := e.sys.CloneTree(dir)
	if err != nil {
		return fmt.Errorf("clone mount tree of %s: %w", dir, err)
	}
	defer e.sys.Close(tree)
	if err := e.sys.Attach(tree, target); err != nil {
		return fmt.Errorf("attach root %s: %w", dir, err)
	}
	return nil
}

func (e *executor) apply(op Op) error {
	switch op.Kind {
	case MountFS:
		return e.mountFS(op)
	case Bind:
		return e.bind(op)
	case Mask:
		return e.mask(op.Dst)
	case ReadOnly:
		return e.readOnlyPath(op.Dst)
	case Symlink:
		return e.inParent(op.Dst, func(dir int, name string) error {
			return e.sys.Symlinkat(op.Src, dir, name)
		})
	case WriteFile:
		return e.inParent(op.Dst, func(dir int, name string) error {
			return e.sys.Createat(dir, name, []byte(op.Data))
		})
	case Remove:
		return e.inParent(op.Dst, e.sys.Unlinkat)
	case RootReadOnly:
		return e.sys.SetReadOnly(e.root, op.Recursive)
	}
	return fmt.Errorf("unknown operation %d", op.Kind)
}

func (e *executor) mountFS(op Op) error {
	fd, err := e.ensure(op.Dst, op.Make)
	if err != nil {
		return err
	}
	defer e.sys.Close(fd)
	src := op.Src
	if src == "" {
		src = op.FSType
	}
	err = e.sys.Mount(src, fdPath(fd), op.FSType, op.Flags, op.Data)
	if op.FSType == "proc" && errors.Is(err, unix.EPERM) {
		return fmt.Errorf("%w: the kernel allows a new /proc only where the enclosing one is fully visible, and parts of it are masked (nook inside a container?): run the outer container with /proc unmasked (podman --security-opt unmask=ALL, docker --security-opt systempaths=unconfined)", err)
	}
	return err
}

func (e *executor) bind(op Op) error {
	src, ok := e.sources[op.Src]
	if op.SrcInRoot {
		fd, err := e.sys.Resolve(e.root, op.Src, unix.O_PATH)
		if err != nil {
			return err
		}
		defer e.sys.Close(fd)
		src, ok = fd, true
	}
	if !ok {
		return fmt.Errorf("source %s was not opened", op.Src)
	}
	mk, err := e.makeFor(op, src)
	if err != nil {
		return err
	}
	dst, err := e.ensure(op.Dst, mk)
	if op.IfPossible && (errors.Is(err, unix.EROFS) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)) {
		return nil
	}
	if err != nil {
		return err
	}
	defer e.sys.Close(dst)
	flags := uintptr(unix.MS_BIND)
	if op.Recursive {
		flags |= unix.MS_REC
	}
	if err := e.sys.Mount(fdPath(src), fdPath(dst), "", flags, ""); err != nil {
		return err
	}
	if op.ReadOnly {
		return e.setReadOnly(op.Dst, op.Recursive)
	}
	return nil
}

func (e *executor) makeFor(op Op, src int) (Make, error) {
	if op.Make != MakeLikeSrc {
		return op.Make, nil
	}
	dir, err := e.sys.IsDir(src)
	if err != nil {
		return MakeNone, err
	}
	if dir {
		return MakeDir, nil
	}
	return MakeFile, nil
}

// existing opens dst inside the root; a missing dst is (-1, nil): masked
// and read-only paths only apply where the kernel or the image has them.
func (e *executor) existing(dst string) (int, error) {
	fd, err := e.sys.Resolve(e.root, dst, unix.O_PATH)
	if errors.Is(err, unix.ENOENT) {
		return -1, nil
	}
	return fd, err
}

func (e *executor) mask(dst string) error {
	fd, err := e.existing(dst)
	if fd < 0 || err != nil {
		return err
	}
	defer e.sys.Close(fd)
	dir, err := e.sys.IsDir(fd)
	if err != nil {
		return err
	}
	if dir {
		return e.sys.Mount("tmpfs", fdPath(fd), "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0555")
	}
	return e.sys.Mount(fdPath(e.devNull), fdPath(fd), "", unix.MS_BIND, "")
}

func (e *executor) readOnlyPath(dst string) error {
	fd, err := e.existing(dst)
	if fd < 0 || err != nil {
		return err
	}
	defer e.sys.Close(fd)
	if err := e.sys.Mount(fdPath(fd), fdPath(fd), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	return e.setReadOnly(dst, true)
}

// setReadOnly resolves dst again so that it acts on the mount just placed
// there, not on what was underneath.
func (e *executor) setReadOnly(dst string, recursive bool) error {
	fd, err := e.sys.Resolve(e.root, dst, unix.O_PATH)
	if err != nil {
		return err
	}
	defer e.sys.Close(fd)
	if err := e.sys.SetReadOnly(fd, recursive); err != nil {
		return fmt.Errorf("make read-only: %w", err)
	}
	return nil
}

// ensure opens p inside the root, creating it (and missing parents, as
// directories) when mk asks for it. The result is always re-resolved inside
// the root, so whatever was created cannot be swapped for a way out.
func (e *executor) ensure(p string, mk Make) (int, error) {
	return e.ensureFollowing(p, mk, 0)
}

// maxLinks bounds the dangling symlinks ensure follows, as the kernel's
// own limit bounds a lookup.
const maxLinks = 40

// ensureFollowing is ensure once links dangling symlinks were followed: a
// mount point whose path ends in, or passes through, a symlink to a
// missing path is created where that symlink leads inside the root (as
// runc does, with filepath-securejoin), never on the host.
func (e *executor) ensureFollowing(p string, mk Make, links int) (int, error) {
	fd, err := e.sys.Resolve(e.root, p, unix.O_PATH)
	if err == nil || !errors.Is(err, unix.ENOENT) || mk == MakeNone {
		return fd, err
	}
	parent, name := path.Dir(p), path.Base(p)
	if parent == p {
		return -1, err // the root itself: nothing to create
	}
	dir, err := e.ensureFollowing(parent, MakeDir, links)
	if err != nil {
		return -1, err
	}
	if mk == MakeDir {
		err = e.sys.Mkdirat(dir, name)
	} else {
		err = e.sys.Createat(dir, name, nil)
	}
	if errors.Is(err, unix.EEXIST) {
		// There, yet not resolvable: a symlink to a missing path.
		if target, lerr := e.sys.Readlinkat(dir, name); lerr == nil {
			if links >= maxLinks {
				e.sys.Close(dir)
				return -1, fmt.Errorf("create mount point %s: %w", p, unix.ELOOP)
			}
			if !path.IsAbs(target) {
				target = path.Join(parent, target)
			}
			fd, err := e.ensureFollowing(path.Clean("/"+target), mk, links+1)
			if err != nil {
				e.sys.Close(dir)
				return -1, err
			}
			e.sys.Close(fd)
		}
		err = nil
	}
	e.sys.Close(dir)
	if err != nil {
		return -1, fmt.Errorf("create mount point %s: %w", p, err)
	}
	return e.sys.Resolve(e.root, p, unix.O_PATH)
}

// inParent calls fn with the (created if missing) parent directory of p and
// p's last element.
func (e *executor) inParent(p string, fn func(dir int, name string) error) error {
	dir, err := e.ensure(path.Dir(p), MakeDir)
	if err != nil {
		return err
	}
	defer e.sys.Close(dir)
	return fn(dir, path.Base(p))
}
