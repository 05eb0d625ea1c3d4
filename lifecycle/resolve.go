package lifecycle

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrNotFound: no container has that name or id.
var ErrNotFound = errors.New("no such container")

// notFound says which reference named nothing; it is ErrNotFound.
type notFound struct{ ref string }

func (e notFound) Error() string {
	return "no such container: " + e.ref + " (nook ps -a lists them)"
}

func (e notFound) Is(target error) bool { return target == ErrNotFound }

// Resolve finds the container ref names: its whole id, its name, or a
// prefix of its id that no other container's id shares, in that order,
// as Docker resolves them.
func (s *Store) Resolve(ref string) (Container, error) {
	if ref == "" {
		return Container{}, fmt.Errorf("no container named: give a name or an id")
	}
	if isID(ref) {
		if c, err := s.Get(ref); err == nil {
			return c, nil
		}
	}
	if validName(ref) == nil {
		if id, err := os.ReadFile(s.namePath(ref)); err == nil {
			if c, err := s.Get(string(id)); err == nil {
				return c, nil
			}
		}
	}
	return s.byPrefix(ref)
}

func (s *Store) byPrefix(ref string) (Container, error) {
	if strings.Trim(ref, "0123456789abcdef") != "" {
		return Container{}, notFound{ref}
	}
	all, err := s.List()
	if err != nil {
		return Container{}, err
	}
	var found []Container
	for _, c := range all {
		if strings.HasPrefix(c.ID, ref) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return Container{}, notFound{ref}
	case 1:
		return found[0], nil
	}
	var names []string
	for _, c := range found {
		names = append(names, short(c.ID)+" ("+c.Name+")")
	}
	return Container{}, fmt.Errorf("%q is the start of %d container ids: %s; give more of the id or the name", ref, len(found), strings.Join(names, ", "))
}

// NewID is a new container id: 64 hex digits, as Docker's.
func NewID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidName checks a --name: Docker's rule, [a-zA-Z0-9][a-zA-Z0-9_.-]*.
func ValidName(name string) error { return validName(name) }

func validName(name string) error {
	ok := name != "" && len(name) <= 128 && isAlnum(name[0])
	for i := 1; ok && i < len(name); i++ {
		c := name[i]
		ok = isAlnum(c) || c == '_' || c == '.' || c == '-'
	}
	if !ok {
		return fmt.Errorf("invalid container name %q: use letters, digits and _ . - (starting with a letter or digit, at most 128)", name)
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
