package store

import (
	"errors"
	"fmt"
	"sort"
)

// refsFile is refs.json. One file for all names: a rename replaces it
// atomically, so readers need no lock, and `nook images` reads it once.
type refsFile struct {
	Refs map[string]Digest `json:"refs"`
}

// Refs returns every name and the manifest digest it points at.
func (s *Store) Refs() (map[string]Digest, error) {
	var f refsFile
	err := readJSON(s.refsPath(), &f)
	if errors.Is(err, ErrNotFound) {
		return map[string]Digest{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("image names: %w", err)
	}
	if f.Refs == nil {
		f.Refs = map[string]Digest{}
	}
	return f.Refs, nil
}

// Resolve returns the manifest digest name points at. Names are normalized
// by the caller ("docker.io/library/alpine:latest").
func (s *Store) Resolve(name string) (Digest, error) {
	refs, err := s.Refs()
	if err != nil {
		return "", err
	}
	d, ok := refs[name]
	if !ok {
		return "", fmt.Errorf("image %s: %w", name, ErrNotFound)
	}
	return d, nil
}

// NamesOf returns the names pointing at d, sorted.
func (s *Store) NamesOf(d Digest) ([]string, error) {
	refs, err := s.Refs()
	if err != nil {
		return nil, err
	}
	return NamesIn(refs, d), nil
}

// NamesIn is the names in refs (from Refs) that point at d, sorted: for
// callers that list many images from one read of the names.
func NamesIn(refs map[string]Digest, d Digest) []string {
	var out []string
	for n, t := range refs {
		if t == d {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Tag points name at the image d (moving it if it pointed elsewhere). The
// image must be stored: a name never points at nothing.
func (s *Store) Tag(name string, d Digest) error {
	if name == "" {
		return fmt.Errorf("tag %s: empty name", d)
	}
	if !d.Valid() {
		return fmt.Errorf("tag %s: invalid digest %q", name, d)
	}
	return s.updateRefs(func(refs map[string]Digest) error {
		if _, err := s.Image(d); err != nil {
			return fmt.Errorf("tag %s: %w", name, err)
		}
		refs[name] = d
		return nil
	})
}

// Untag removes name. The image stays (RemoveImage, Prune).
func (s *Store) Untag(name string) error {
	return s.updateRefs(func(refs map[string]Digest) error {
		if _, ok := refs[name]; !ok {
			return fmt.Errorf("untag %s: %w", name, ErrNotFound)
		}
		delete(refs, name)
		return nil
	})
}

// updateRefs is the read-modify-write of refs.json, under the lock so that
// concurrent tags are not lost.
func (s *Store) updateRefs(change func(map[string]Digest) error) error {
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	refs, err := s.Refs()
	if err != nil {
		return err
	}
	if err := change(refs); err != nil {
		return err
	}
	return s.writeJSON(s.refsPath(), refsFile{Refs: refs})
}
