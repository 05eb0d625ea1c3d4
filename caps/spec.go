package caps

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FromSpec converts runtime-spec's capability lists. A nil lc yields empty
// sets: a container whose spec names no capabilities gets none (runc would
// leave the caller's untouched, which for nook's init is full root in the
// user namespace).
func FromSpec(lc *specs.LinuxCapabilities) (Caps, error) {
	var c Caps
	if lc == nil {
		return c, nil
	}
	lists := []struct {
		name string
		src  []string
		dst  *Set
	}{
		{"bounding", lc.Bounding, &c.Bounding},
		{"effective", lc.Effective, &c.Effective},
		{"permitted", lc.Permitted, &c.Permitted},
		{"inheritable", lc.Inheritable, &c.Inheritable},
		{"ambient", lc.Ambient, &c.Ambient},
	}
	for _, l := range lists {
		s, err := FromNames(l.src)
		if err != nil {
			return Caps{}, fmt.Errorf("%s capabilities: %w", l.name, err)
		}
		*l.dst = s
	}
	return c, nil
}
