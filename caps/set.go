package caps

import (
	"sort"
	"strings"
)

// Set holds one bit per capability: bit c is capability number c. Linux
// keeps capabilities in two 32-bit words, so 64 bits cover every number the
// kernel can ever define.
type Set uint64

// All is every capability nook can name.
const All Set = 1<<(Last+1) - 1

// Has reports whether capability c is in s.
func (s Set) Has(c int) bool {
	return c >= 0 && c <= Last && s&(1<<c) != 0
}

// Add puts capability c into s. Numbers outside 0..Last are ignored, so a Set
// never holds a bit that Names cannot name.
func (s *Set) Add(c int) {
	if c >= 0 && c <= Last {
		*s |= 1 << c
	}
}

// Remove takes capability c out of s.
func (s *Set) Remove(c int) {
	if c >= 0 && c <= Last {
		*s &^= 1 << c
	}
}

// Names returns the capabilities in s as "CAP_..." strings sorted
// alphabetically, the form runtime-spec's capability lists use; sorting
// keeps generated specs and --debug output stable.
func (s Set) Names() []string {
	out := make([]string, 0, 16)
	for c := 0; c <= Last; c++ {
		if s.Has(c) {
			out = append(out, names[c])
		}
	}
	sort.Strings(out)
	return out
}

// String joins Names with commas, for messages and --debug output.
func (s Set) String() string {
	return strings.Join(s.Names(), ",")
}
