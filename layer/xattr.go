package layer

import (
	"archive/tar"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

const paxXattr = "SCHILY.xattr."

// xattrPolicy says whether the extended attribute name from a layer is set,
// and why not.
func xattrPolicy(name string) (apply bool, why string) {
	switch {
	case strings.HasPrefix(name, "user.overlay."):
		// overlayfs in userxattr mode reads these as its own metadata
		// (opaque, redirect, origin, whiteout): only the layer's whiteout
		// entries may produce them, never a file's recorded attributes.
		return false, "it is overlayfs's own metadata"
	case strings.HasPrefix(name, "user."), name == "security.capability":
		return true, ""
	case strings.HasPrefix(name, "trusted."):
		return false, "trusted.* needs root outside any user namespace"
	}
	return false, "only user.* and security.capability are applied"
}

// xattrs reports whether the entry records extended attributes.
func xattrs(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, paxXattr) {
			return true
		}
	}
	return false
}

// setXattrs applies the entry's extended attributes that the policy allows
// to fd. Refusals (an unprivileged security.capability, a filesystem
// without user xattrs) become notes, not errors.
func (u *unpacker) setXattrs(fd int, h *tar.Header) {
	for _, name := range xattrNames(h) {
		if ok, why := xattrPolicy(name); !ok {
			u.skipXattr(name, h.Name, why)
			continue
		}
		if err := unix.Fsetxattr(fd, name, []byte(h.PAXRecords[paxXattr+name]), 0); err != nil {
			u.skipXattr(name, h.Name, "the kernel refused it: "+err.Error())
		}
	}
}

// skipXattrs notes every extended attribute of an entry that cannot take any.
func (u *unpacker) skipXattrs(h *tar.Header, why string) {
	for _, name := range xattrNames(h) {
		u.skipXattr(name, h.Name, why)
	}
}

func xattrNames(h *tar.Header) []string {
	var names []string
	for k := range h.PAXRecords {
		if name, ok := strings.CutPrefix(k, paxXattr); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// skippedXattr gathers the entries skipping one attribute for one reason:
// images built on SELinux hosts carry security.selinux on every file, which
// deserves one note, not thousands.
type skippedXattr struct {
	name, why, first string
	count            int
}

func (u *unpacker) skipXattr(name, entry, why string) {
	key := name + "\x00" + why
	s := u.skipped[key]
	if s == nil {
		s = &skippedXattr{name: name, why: why, first: entry}
		u.skipped[key] = s
	}
	s.count++
}

func (u *unpacker) flushNotes() {
	keys := make([]string, 0, len(u.skipped))
	for k := range u.skipped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := u.skipped[k]
		on := fmt.Sprintf("%q", s.first)
		if s.count > 1 {
			on = fmt.Sprintf("%d entries (%q, ...)", s.count, s.first)
		}
		u.note("skipped xattr %s on %s: %s", s.name, on, s.why)
	}
	u.skipped = map[string]*skippedXattr{}
}
