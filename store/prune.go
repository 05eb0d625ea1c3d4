package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// PruneOptions say what Prune may remove besides unused layers and blobs.
type PruneOptions struct {
	// Dangling also removes the images no name points at.
	Dangling bool
	// InUse reports layers that containers use although no image may list
	// them any more (`rmi -f`); they are kept. Nil: none.
	InUse func(chain Digest) bool
	// NoWait makes Prune fail with ErrBusy instead of waiting while a
	// Hold is held (a pull in progress).
	NoWait bool
}

// PruneResult is what Prune removed.
type PruneResult struct {
	Images []Digest
	Layers []Digest
	Blobs  []Digest
	Bytes  int64 // blob sizes plus unpacked layer sizes
}

// Prune removes what nothing refers to: with Dangling, images without a
// name; then layers that no image lists and InUse does not claim; then
// blobs that no image lists. The image records are the only reference
// counts, so nothing can drift.
//
// It waits for every Hold to be released first (so a pull's blobs and
// layers are listed by its image before Prune looks), and decides and
// unlinks under the lock, so no PutImage can slip in between. The slow
// part, deleting layer trees with the Remover, happens after both are
// released: each tree is first moved into tmp/, so layers/ only ever holds
// complete layers, and an interrupted removal is finished by a later Open.
func (s *Store) Prune(o PruneOptions) (PruneResult, error) {
	var res PruneResult
	release, err := s.holdExclusive(!o.NoWait)
	if err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	doomed, err := s.pruneLocked(o, &res)
	// Decided and out of sight: pulls may go on while the trees are
	// deleted (one that needs a layer just removed unpacks it again).
	release()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, d := range doomed {
		if err := s.Remover(d.path); err != nil {
			errs = append(errs, fmt.Errorf("prune: remove %s: %w", d.path, err))
		}
		d.release()
	}
	return res, errors.Join(errs...)
}

// doomedDir is a layer directory moved into a held wrapper under tmp/, so
// that Open's repair leaves it to us.
type doomedDir struct {
	path    string // the wrapper
	release func()
}

func (s *Store) pruneLocked(o PruneOptions, res *PruneResult) ([]doomedDir, error) {
	unlock, err := s.Lock()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	defer unlock()
	refs, err := s.Refs()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	all, err := s.Images()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	usedLayers := map[Digest]bool{}
	usedBlobs := map[Digest]bool{}
	for _, img := range all {
		if o.Dangling && len(NamesIn(refs, img.Digest)) == 0 {
			if err := s.removeImageLocked(img.Digest); err != nil {
				return nil, fmt.Errorf("prune: %w", err)
			}
			res.Images = append(res.Images, img.Digest)
			continue
		}
		for _, l := range img.Layers {
			usedLayers[l.ChainID] = true
		}
		for _, b := range img.Blobs() {
			usedBlobs[b] = true
		}
	}
	doomed, err := s.pruneLayers(usedLayers, o.InUse, res)
	if err != nil {
		return doomed, err
	}
	return doomed, s.pruneBlobs(usedBlobs, res)
}

func (s *Store) pruneLayers(used map[Digest]bool, inUse func(Digest) bool, res *PruneResult) ([]doomedDir, error) {
	chains, err := s.layerChains()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	var doomed []doomedDir
	for _, c := range chains {
		if used[c] || (inUse != nil && inUse(c)) {
			continue
		}
		if m, err := s.Layer(c); err == nil {
			res.Bytes += m.Size
		}
		// The marker first: from here HasLayer is false, and an
		// interruption leaves a complete directory that a later
		// CommitLayer adopts or a later Prune removes.
		meta := s.layerMetaPath(c)
		if err := os.Remove(meta); err != nil && !errors.Is(err, os.ErrNotExist) {
			return doomed, fmt.Errorf("prune: remove %s: %w", meta, err)
		}
		d, err := s.moveToTmp(s.LayerDir(c))
		if err != nil {
			return doomed, fmt.Errorf("prune: layer %s: %w", c, err)
		}
		if d.path != "" {
			doomed = append(doomed, d)
		}
		res.Layers = append(res.Layers, c)
	}
	return doomed, syncDir(s.layerDir())
}

// moveToTmp renames dir into a wrapper under tmp/ that is locked before
// the move, so that Open's repair never takes it for a leftover. A missing
// dir is no error.
func (s *Store) moveToTmp(dir string) (doomedDir, error) {
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return doomedDir{}, nil
	}
	h, err := s.newHeldDir("rm-" + filepath.Base(dir)[:12] + "-")
	if err != nil {
		return doomedDir{}, err
	}
	if _, err := renameDir(dir, filepath.Join(h.path, "layer")); err != nil {
		h.release()
		return doomedDir{}, fmt.Errorf("move %s into %s: %w", dir, h.path, err)
	}
	return doomedDir{path: h.path, release: func() { h.lock.Close() }}, nil
}

func (s *Store) pruneBlobs(used map[Digest]bool, res *PruneResult) error {
	entries, err := os.ReadDir(s.blobDir())
	if err != nil {
		return fmt.Errorf("prune: list blobs: %w", err)
	}
	for _, e := range entries {
		d, err := ParseDigest(digestPrefix + e.Name())
		if err != nil || used[d] {
			continue // not ours to judge, or in use
		}
		p := s.BlobPath(d)
		if st, err := os.Lstat(p); err == nil {
			res.Bytes += st.Size()
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("prune: remove %s: %w", p, err)
		}
		res.Blobs = append(res.Blobs, d)
	}
	slices.Sort(res.Blobs)
	return syncDir(s.blobDir())
}
