package layer

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// OCI layers mark deletions AUFS's way, with names; overlayfs wants a
// character device 0/0 in place of a deleted name and an xattr on a
// directory that hides everything below it.
const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh." // AUFS's own entries (.wh..wh.plnk, .wh..wh.aufs)
	whiteoutOpaque = ".wh..wh..opq"
	// OpaqueXattr is what marks an opaque directory. Only the user.*
	// namespace: nook mounts overlayfs with userxattr inside the user
	// namespace, where trusted.* can neither be written (that needs
	// CAP_SYS_ADMIN in the initial namespace) nor would it be read.
	OpaqueXattr = "user.overlay.opaque"
)

func isWhiteout(base string) bool { return strings.HasPrefix(base, whiteoutPrefix) }

// inWhiteoutMeta reports whether the directory p is, or is below, one of
// AUFS's metadata directories, whose contents mean nothing to overlayfs.
func inWhiteoutMeta(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if strings.HasPrefix(c, whiteoutMeta) {
			return true
		}
	}
	return false
}

// whiteout handles an entry whose name starts with .wh.; the entry's own
// type, mode and owner do not matter.
func (u *unpacker) whiteout(p string) error {
	parent, base := split(p)
	switch {
	case base == whiteoutOpaque:
		return u.opaque(parent)
	case strings.HasPrefix(base, whiteoutMeta):
		return nil // nothing for overlayfs
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return errors.New("whiteout names no file")
	}
	pfd, err := u.openDir(parent, true, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	// A device 0/0 may be made without CAP_MKNOD since Linux 5.8, exactly
	// so that overlayfs whiteouts work in user namespaces.
	err = u.place(pfd, path.Join(parent, name), name, func() error {
		return unix.Mknodat(pfd, name, unix.S_IFCHR, 0)
	})
	if err != nil {
		return fmt.Errorf("create whiteout for %q: %w", name, err)
	}
	u.res.Whiteouts++
	return nil
}

func (u *unpacker) opaque(dir string) error {
	fd, err := u.openDir(dir, true, unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fsetxattr(fd, OpaqueXattr, []byte("y"), 0); err != nil {
		return fmt.Errorf("mark %q opaque: set %s: %w (the layer store needs a filesystem with user xattrs)", dir, OpaqueXattr, err)
	}
	u.res.Whiteouts++
	return nil
}
