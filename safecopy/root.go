// Package safecopy copies trees between two roots, a container's root
// filesystem and the host's, with docker cp's rules for what lands where.
//
// A container and its image are hostile: any name in them may be a
// symlink, planted to point at the host's files, and swapped while a copy
// runs. So a path inside a container is resolved once by the kernel as if
// its root were "/" (openat2 with RESOLVE_IN_ROOT), and everything below
// is reached by descriptor: children are opened relative to their parent's
// descriptor without following symlinks, entries are created relative to
// their parent's descriptor under a temporary name and renamed over the
// old one. Symlinks are copied as symlinks, never followed (except the
// source itself with FollowLink), so nothing outside the container's root
// is ever read or written through one.
package safecopy

import (
	"errors"
	"fmt"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Root is a directory tree that paths are resolved in.
type Root struct {
	fd      int
	resolve uint64
	// uids and gids map the root's ids to the host's; nil for the host.
	uids, gids []specs.LinuxIDMapping
}

// inRoot keeps every resolution inside the root, whatever a symlink says;
// magic links (/proc/PID/root in a container's own /proc) could jump out.
const inRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// Host is the host's own filesystem: its paths resolve as usual, relative
// ones from the working directory. The caller's own symlinks are trusted,
// except below a copy's destination directory.
func Host() *Root { return &Root{fd: unix.AT_FDCWD} }

// OpenRoot opens dir as a container's root, whose ids map to the host's
// by uids and gids (nil: the same ids).
func OpenRoot(dir string, uids, gids []specs.LinuxIDMapping) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &PathError{Op: "open the root", Path: dir, Root: Host(), Err: err}
	}
	return NewRoot(fd, uids, gids), nil
}

// NewRoot takes fd, a directory descriptor (such as /proc/PID/root opened
// with O_PATH), as a container's root; the Root owns it.
func NewRoot(fd int, uids, gids []specs.LinuxIDMapping) *Root {
	return &Root{fd: fd, resolve: inRoot, uids: uids, gids: gids}
}

// Close releases the root's descriptor.
func (r *Root) Close() error {
	if r.fd < 0 {
		return nil
	}
	fd := r.fd
	r.fd = -1
	return unix.Close(fd)
}

// open resolves p in the root with flags (O_CLOEXEC is added).
func (r *Root) open(p string, flags int) (int, error) {
	return openat2(r.fd, p, flags, r.resolve)
}

// beneath keeps a resolution below its directory and follows no symlink:
// what a copy writes into comes from the other side, which may be hostile.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

func openat2(dir int, p string, flags int, resolve uint64) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolve}
	for {
		fd, err := unix.Openat2(dir, p, &how)
		// EAGAIN: a rename elsewhere raced the lookup, which the kernel
		// then refuses rather than risk a wrong answer.
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// pathSpec is a path as docker cp reads it: cleaned, with what its
// trailing "/" or "/." asked for.
type pathSpec struct {
	clean string
	// dirOnly: it ends in "/" or "/.", so it must name a directory.
	dirOnly bool
	// contents: it ends in "/." (or is the root): a directory's entries,
	// not the directory itself.
	contents bool
}

// parse reads p; a container's paths are all from its root, as Docker's.
func (r *Root) parse(p string) pathSpec {
	if r.resolve != 0 && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	s := pathSpec{clean: path.Clean(p)}
	for _, b := range []string{path.Base(p), path.Base(s.clean)} {
		if b == "." || b == ".." || b == "/" {
			s.contents = true
		}
	}
	s.dirOnly = s.contents || strings.HasSuffix(p, "/")
	return s
}

// PathError is a failed operation on a path, named as its root sees it.
type PathError struct {
	Op   string
	Path string
	Root *Root // the side it failed on
	Err  error
}

func (e *PathError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err) }
func (e *PathError) Unwrap() error { return e.Err }
