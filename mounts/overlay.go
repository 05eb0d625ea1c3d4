package mounts

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Overlay is a root filesystem assembled by kernel overlayfs from an
// image's layers. Every path is an absolute host path; the layers are in
// overlay's userxattr format (whiteouts char 0/0, user.overlay.opaque).
type Overlay struct {
	Lower       []string // topmost first
	Upper, Work string
}

func (o *Overlay) String() string {
	return fmt.Sprintf("overlay lower=%s upper=%s work=%s", strings.Join(o.Lower, ":"), o.Upper, o.Work)
}

// Limits of the two ways to mount an overlay. fsconfig copies each string
// value with strndup_user(value, 256), NUL included; mount(2) copies one
// page of options, NUL included.
const (
	maxFsconfigValue = 255
	maxMountData     = 4095
)

// badOverlayChars are what mount(2)'s option string gives a meaning to
// (overlay splits lowerdir on ':' and the options on ','; '\' escapes
// both): refused rather than escaped, since store paths never need them.
const badOverlayChars = ":,\\"

// checkOverlay refuses an overlay the kernel would misread.
func checkOverlay(o Overlay) error {
	if len(o.Lower) == 0 {
		return fmt.Errorf("no lower directory")
	}
	for _, p := range o.paths() {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("%q is not an absolute path", p)
		}
		if i := strings.IndexAny(p, badOverlayChars); i >= 0 {
			return fmt.Errorf("%q contains %q, which overlay mount options cannot carry", p, p[i])
		}
	}
	return nil
}

// paths lists every directory of the overlay, lowers first.
func (o Overlay) paths() []string {
	return append(append([]string(nil), o.Lower...), o.Upper, o.Work)
}

// fitsFsconfig says whether every path fits in one fsconfig value.
func fitsFsconfig(o Overlay) bool {
	for _, p := range o.paths() {
		if len(p) > maxFsconfigValue {
			return false
		}
	}
	return true
}

// mountData is the option string of a mount(2) of o.
func mountData(o Overlay) string {
	return "lowerdir=" + strings.Join(o.Lower, ":") + ",upperdir=" + o.Upper + ",workdir=" + o.Work + ",userxattr"
}

// relative rewrites o relative to the deepest directory that holds all its
// paths (the store, for an image's layers), for a caller that changes its
// working directory there: overlay resolves relative paths from it.
func relative(o Overlay) (base string, rel Overlay) {
	base = commonDir(o.paths())
	r := func(p string) string {
		q, _ := filepath.Rel(base, p) // both absolute and clean: cannot fail
		return q
	}
	rel = Overlay{Upper: r(o.Upper), Work: r(o.Work)}
	for _, l := range o.Lower {
		rel.Lower = append(rel.Lower, r(l))
	}
	return base, rel
}

// commonDir is the deepest directory that is an ancestor of every path.
func commonDir(paths []string) string {
	base := filepath.Dir(filepath.Clean(paths[0]))
	for _, p := range paths {
		for !within(base, filepath.Clean(p)) {
			base = filepath.Dir(base)
		}
	}
	return base
}

func within(dir, p string) bool {
	return dir == "/" || strings.HasPrefix(p, dir+"/")
}
