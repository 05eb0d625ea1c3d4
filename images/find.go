package images

import (
	"errors"
	"fmt"
	"strings"

	"nook/registry"
	"nook/store"
)

// Find resolves what a user typed for a stored image: a name ("alpine",
// normalized as Docker does), a name with a digest, or a unique prefix of
// an image ID. The error for a missing image wraps store.ErrNotFound.
func Find(st *store.Store, s string) (store.Image, error) {
	ref, refErr := registry.ParseRef(s)
	if refErr == nil {
		img, err := findRef(st, ref)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return img, err
		}
	}
	if isIDPrefix(s) {
		img, err := st.FindImage(s)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return img, err
		}
	} else if refErr != nil {
		return store.Image{}, refErr
	}
	return store.Image{}, fmt.Errorf("image %s is not in the store: %w (pull it with nook pull %s)", s, store.ErrNotFound, s)
}

func findRef(st *store.Store, ref registry.Ref) (store.Image, error) {
	d, err := st.Resolve(ref.String())
	if err == nil {
		return st.Image(d)
	}
	if !errors.Is(err, store.ErrNotFound) || ref.Digest() == "" {
		return store.Image{}, err
	}
	// Pulled by tag, asked for by digest (of its manifest or its index).
	want, err := store.ParseDigest(ref.Digest())
	if err != nil {
		return store.Image{}, err
	}
	imgs, err := st.Images()
	if err != nil {
		return store.Image{}, err
	}
	for _, img := range imgs {
		if img.Digest == want || img.Index == want {
			return img, nil
		}
	}
	return store.Image{}, fmt.Errorf("image %s: %w", ref, store.ErrNotFound)
}

// isIDPrefix: hex, optionally after "sha256:", long enough not to be a
// short name by accident (Docker and podman ask for no minimum; 3 is theirs
// in practice).
func isIDPrefix(s string) bool {
	h := strings.TrimPrefix(s, "sha256:")
	if len(h) < 3 || len(h) > 64 {
		return false
	}
	for _, c := range h {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// SplitName turns a stored name into Docker's REPOSITORY and TAG columns
// ("<none>" for a name by digest).
func SplitName(n string) (repo, tag string) {
	if i := strings.Index(n, "@"); i >= 0 {
		return n[:i], "<none>"
	}
	if i := strings.LastIndex(n, ":"); i > strings.LastIndex(n, "/") {
		return n[:i], n[i+1:]
	}
	return n, "<none>"
}
