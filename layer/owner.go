package layer

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// chown runs fn, a chown of the entry to uid:gid, and explains the error a
// user namespace gives for an id outside its map.
func (u *unpacker) chown(fn func() error, uid, gid int) error {
	err := fn()
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EINVAL) {
		return unmapped(uid, gid, "/proc/self/uid_map", "/proc/self/gid_map")
	}
	return fmt.Errorf("chown %d:%d: %w", uid, gid, err)
}

// chownAt sets the owner of the entry base in pfd itself, a symlink included.
func (u *unpacker) chownAt(pfd int, base string, h *tar.Header) error {
	if !u.o.Chown {
		return nil
	}
	return u.chown(func() error { return unix.Fchownat(pfd, base, h.Uid, h.Gid, unix.AT_SYMLINK_NOFOLLOW) }, h.Uid, h.Gid)
}

// unmapped names the id the kernel refused, reading the maps of the user
// namespace the unpacker runs in.
func unmapped(uid, gid int, uidMap, gidMap string) error {
	const hint = "the image needs more subordinate ids"
	if !mapped(uidMap, uid) {
		return fmt.Errorf("uid %d is not mapped: %s", uid, hint)
	}
	if !mapped(gidMap, gid) {
		return fmt.Errorf("gid %d is not mapped: %s", gid, hint)
	}
	return fmt.Errorf("uid %d or gid %d is not mapped: %s", uid, gid, hint)
}

// mapped reports whether id is inside one of the ranges of the id map file;
// an unreadable map counts as mapping it, so the caller says "or".
func mapped(file string, id int) bool {
	f, err := os.Open(file)
	if err != nil {
		return true
	}
	defer f.Close()
	ok, err := inMap(f, id)
	return ok || err != nil
}

func inMap(r io.Reader, id int) (bool, error) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) != 3 {
			continue
		}
		inside, err1 := strconv.ParseUint(fields[0], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("bad id map line %q", s.Text())
		}
		if uint64(id) >= inside && uint64(id) < inside+count {
			return true, nil
		}
	}
	return false, s.Err()
}
