package store

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrTagged is wrapped by RemoveImage's error for an image a name still
// points at.
var ErrTagged = errors.New("image is tagged")

// RemoveImage removes the record of the image d, refusing while a name
// points at it (Untag first). Its blobs and layers stay until Prune finds
// no other image using them. Whether a container still uses the image is
// the caller's to check (`rmi` without -f).
func (s *Store) RemoveImage(d Digest) error {
	if !d.Valid() {
		return fmt.Errorf("remove image: invalid digest %q", d)
	}
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	names, err := s.NamesOf(d)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return fmt.Errorf("remove image %s: %w as %s", d, ErrTagged, strings.Join(names, ", "))
	}
	return s.removeImageLocked(d)
}

func (s *Store) removeImageLocked(d Digest) error {
	p := s.imagePath(d)
	if err := os.Remove(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove image %s: %w", d, ErrNotFound)
		}
		return fmt.Errorf("remove image %s: %w", p, err)
	}
	return syncDir(s.imageDir())
}
