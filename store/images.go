package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Image is the record of one stored image, named by its manifest's digest.
type Image struct {
	Digest    Digest       `json:"digest"`          // the manifest (a blob)
	Index     Digest       `json:"index,omitempty"` // the multi-platform index it was chosen from, if any (a blob)
	MediaType string       `json:"mediaType"`       // the manifest's
	Config    Digest       `json:"config"`          // the config (a blob)
	Platform  Platform     `json:"platform"`
	Layers    []ImageLayer `json:"layers"` // bottom first
	Created   time.Time    `json:"created"`
	Size      int64        `json:"size"` // as the caller counts it, for `nook images`
}

// Platform is the os/architecture/variant an image is for.
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

// ImageLayer is one layer of an Image: its blob as the manifest lists it,
// and the unpacked layer it became.
type ImageLayer struct {
	Blob      Digest `json:"blob"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"` // of the blob
	DiffID    Digest `json:"diffID"`
	ChainID   Digest `json:"chainID"`
}

// Blobs is every blob the image refers to: what Prune keeps for it.
func (img Image) Blobs() []Digest {
	out := []Digest{img.Digest, img.Config}
	if img.Index != "" {
		out = append(out, img.Index)
	}
	for _, l := range img.Layers {
		out = append(out, l.Blob)
	}
	return out
}

func (s *Store) imagePath(d Digest) string {
	return filepath.Join(s.imageDir(), d.Hex()+".json")
}

// check verifies that the record is consistent in itself: digests well
// formed and chain IDs computed from the diff IDs.
func (img Image) check() error {
	if !img.Digest.Valid() {
		return fmt.Errorf("image: invalid digest %q", img.Digest)
	}
	if !img.Config.Valid() || (img.Index != "" && !img.Index.Valid()) {
		return fmt.Errorf("image %s: invalid config or index digest", img.Digest)
	}
	diffs := make([]Digest, len(img.Layers))
	for i, l := range img.Layers {
		if !l.Blob.Valid() || !l.DiffID.Valid() {
			return fmt.Errorf("image %s: layer %d: invalid blob or diff ID", img.Digest, i)
		}
		diffs[i] = l.DiffID
	}
	for i, c := range ChainIDs(diffs) {
		if img.Layers[i].ChainID != c {
			return fmt.Errorf("image %s: layer %d: chain ID %s, computed %s", img.Digest, i, img.Layers[i].ChainID, c)
		}
	}
	return nil
}

// PutImage records img, after checking that everything it refers to is
// stored: every blob and every layer. So a record never points at missing
// content, and Prune, which holds the same lock, cannot remove content
// between the check and the record.
func (s *Store) PutImage(img Image) error {
	if err := img.check(); err != nil {
		return err
	}
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	for _, b := range img.Blobs() {
		if !s.HasBlob(b) {
			return fmt.Errorf("image %s: blob %s: %w", img.Digest, b, ErrNotFound)
		}
	}
	for _, l := range img.Layers {
		if !s.HasLayer(l.ChainID) {
			return fmt.Errorf("image %s: layer %s: %w", img.Digest, l.ChainID, ErrNotFound)
		}
	}
	return s.writeJSON(s.imagePath(img.Digest), img)
}

// Image reads the record of the image with manifest digest d.
func (s *Store) Image(d Digest) (Image, error) {
	if !d.Valid() {
		return Image{}, fmt.Errorf("image: invalid digest %q", d)
	}
	var img Image
	if err := readJSON(s.imagePath(d), &img); err != nil {
		return Image{}, fmt.Errorf("image %s: %w", d, err)
	}
	return img, nil
}

// Images lists the stored images, newest first.
func (s *Store) Images() ([]Image, error) {
	entries, err := os.ReadDir(s.imageDir())
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var out []Image
	for _, e := range entries {
		d, err := ParseDigest(digestPrefix + strings.TrimSuffix(e.Name(), ".json"))
		if err != nil || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		img, err := s.Image(d)
		if errors.Is(err, ErrNotFound) {
			continue // removed while we listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].Digest < out[j].Digest
	})
	return out, nil
}

// FindImage resolves a unique prefix of an image's manifest digest hex (with
// or without "sha256:"), as `nook rmi 3f5e` and `nook run 3f5e` accept.
func (s *Store) FindImage(prefix string) (Image, error) {
	p := strings.TrimPrefix(prefix, digestPrefix)
	if p == "" {
		return Image{}, fmt.Errorf("image %q: %w", prefix, ErrNotFound)
	}
	imgs, err := s.Images()
	if err != nil {
		return Image{}, err
	}
	var found []Image
	for _, img := range imgs {
		if strings.HasPrefix(img.Digest.Hex(), p) {
			found = append(found, img)
		}
	}
	switch len(found) {
	case 0:
		return Image{}, fmt.Errorf("image %q: %w", prefix, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return Image{}, fmt.Errorf("image ID %q is ambiguous: %d images match", prefix, len(found))
}
