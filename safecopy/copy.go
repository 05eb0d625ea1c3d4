package safecopy

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"

	"golang.org/x/sys/unix"
)

// Options are docker cp's.
type Options struct {
	// FollowLink copies what SRC_PATH's own symlink points to (-L), found
	// inside its root; symlinks below it are copied as symlinks.
	FollowLink bool
	// KeepOwners gives each copy its source's owner (-a) instead of the
	// caller's, which is the container's root. A tar stream's owners are
	// the container's ids; a host file's owner stays the same host id.
	KeepOwners bool
}

// Copy copies src in from to dst in to, by docker cp's rules: a file
// into an existing directory under its own name, or to dst's name (over
// a file there); a directory into an existing directory under its own
// name (its entries, for "DIR/."), or as a new directory named dst.
func Copy(from *Root, src string, to *Root, dst string, o Options) error {
	s, err := openSource(from, src, o.FollowLink)
	if err != nil {
		return err
	}
	defer s.close()
	d, err := openDest(to, dst)
	if err != nil {
		return err
	}
	defer d.close()
	top, err := target(s.name(), s.isDir(), d)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(d.dir, &st); err != nil {
		return &PathError{Op: "stat", Path: d.disp, Root: to, Err: err}
	}
	skip := inodeOf(&st)
	x := newExtractor(to, d.dir, d.disp, o.KeepOwners)
	defer x.close()
	if err := s.walk(top, &skip, x.put); err != nil {
		return err
	}
	return x.finish()
}

// WriteTar writes src in from to w as a tar stream (docker cp CTR:SRC -),
// its entries named from src's own name, with the root's own ids.
func WriteTar(from *Root, src string, w io.Writer, o Options) error {
	s, err := openSource(from, src, o.FollowLink)
	if err != nil {
		return err
	}
	defer s.close()
	tw := tar.NewWriter(w)
	err = s.walk(s.name(), nil, func(h *tar.Header, body io.Reader) error {
		h.Uid, h.Gid = fromHost(from.uids, h.Uid), fromHost(from.gids, h.Gid)
		if h.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("write the tar stream: %w", err)
		}
		if body == nil {
			return nil
		}
		if err := copyExactly(tw, body, h.Size); err != nil {
			return fmt.Errorf("write %s to the tar stream: %w", h.Name, unwrapOS(err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// ExtractTar extracts the tar stream r into the directory dst in to
// (docker cp - CTR:DST), which must exist.
func ExtractTar(r io.Reader, to *Root, dst string, o Options) error {
	d, err := openDest(to, dst)
	if err != nil {
		return err
	}
	defer d.close()
	if !d.isDir {
		return &PathError{Op: "extract into", Path: d.spec.clean, Root: to,
			Err: errors.New("not a directory: a tar stream goes into a directory that exists")}
	}
	x := newExtractor(to, d.dir, d.disp, o.KeepOwners)
	defer x.close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read the tar stream: %w", err)
		}
		if o.KeepOwners {
			if err := hostOwner(to, h); err != nil {
				return err
			}
		}
		if err := x.put(h, tr); err != nil {
			return err
		}
	}
	return x.finish()
}

// hostOwner turns the entry's owner, an id of the root's, into the host's.
func hostOwner(r *Root, h *tar.Header) error {
	uid, uok := toHost(r.uids, h.Uid)
	gid, gok := toHost(r.gids, h.Gid)
	if !uok || !gok {
		return fmt.Errorf("tar entry %q: its owner %d:%d has no id in the container", h.Name, h.Uid, h.Gid)
	}
	h.Uid, h.Gid = uid, gid
	return nil
}

// copyExactly copies n bytes: a source that ends sooner was changed
// while it was copied (a tar header already promised n).
func copyExactly(w io.Writer, r io.Reader, n int64) error {
	got, err := io.CopyN(w, r, n)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("the source changed while it was copied (%d of %d bytes)", got, n)
	}
	return err
}

// dest is DEST_PATH resolved: the directory the copy goes into, and
// what is already at DEST_PATH's name when that is not a directory.
type dest struct {
	root   *Root
	spec   pathSpec
	dir    int    // O_PATH
	disp   string // dir's path in the root
	isDir  bool   // DEST_PATH is a directory: dir
	name   string // else DEST_PATH's last element, in dir
	exists bool   // ... which names something (not a directory)
}

// openDest resolves p in r. A symlink at p leading to a directory (inside
// the root) is copied into; one leading elsewhere, or nowhere, is
// replaced: nothing is ever written through a symlink.
func openDest(r *Root, p string) (*dest, error) {
	d := &dest{root: r, spec: r.parse(p)}
	clean := d.spec.clean
	fd, openErr := r.open(clean, unix.O_PATH|unix.O_DIRECTORY)
	if openErr == nil {
		d.dir, d.disp, d.isDir = fd, clean, true
		return d, nil
	}
	if !errors.Is(openErr, unix.ENOENT) && !errors.Is(openErr, unix.ENOTDIR) && !errors.Is(openErr, unix.ELOOP) {
		return nil, &PathError{Op: "find", Path: clean, Root: r, Err: openErr}
	}
	parent := path.Dir(clean)
	fd, err := r.open(parent, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return nil, &PathError{Op: "find the directory", Path: parent, Root: r, Err: err}
	}
	d.dir, d.disp, d.name = fd, parent, path.Base(clean)
	var st unix.Stat_t
	err = unix.Fstatat(fd, d.name, &st, unix.AT_SYMLINK_NOFOLLOW)
	d.exists = err == nil
	switch {
	case err != nil && !errors.Is(err, unix.ENOENT):
		err = &PathError{Op: "stat", Path: clean, Root: r, Err: err}
	case d.exists && d.spec.dirOnly:
		// A directory was asked for, and a file or a symlink to nothing
		// (inside the root) is there.
		err = &PathError{Op: "find", Path: clean, Root: r, Err: openErr}
	default:
		return d, nil
	}
	d.close()
	return nil, err
}

func (d *dest) close() { unix.Close(d.dir) }

// target is the name the source's top entry takes in the destination
// directory ("" puts a directory's entries there), or docker cp's error.
func target(srcName string, srcIsDir bool, d *dest) (string, error) {
	fail := func(msg string) error {
		return &PathError{Op: "destination", Path: d.spec.clean, Root: d.root, Err: errors.New(msg)}
	}
	switch {
	case d.isDir:
		return srcName, nil
	case d.exists && srcIsDir:
		return "", fail("it exists and is not a directory, so a directory cannot be copied to it")
	case !d.exists && d.spec.dirOnly && !srcIsDir:
		return "", fail("no such directory (a file is copied into a directory that exists, or to a new name)")
	}
	return d.name, nil
}
