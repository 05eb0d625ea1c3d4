package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LayerMeta describes an unpacked layer, in layers/<chain>.json.
type LayerMeta struct {
	DiffID  Digest `json:"diffID"`           // digest of the uncompressed tar
	ChainID Digest `json:"chainID"`          // the layer with all beneath it
	Parent  Digest `json:"parent,omitempty"` // chain ID beneath; empty for a base layer
	Blob    Digest `json:"blob"`             // the (compressed) blob it came from
	Size    int64  `json:"size"`             // bytes unpacked (layer.Result.Bytes)
}

// check verifies that the IDs are well formed and ChainID really is Parent's
// chain extended by DiffID: a record that lies about its chain would let
// one image's layer stand in for another's.
func (m LayerMeta) check() error {
	for _, d := range []Digest{m.DiffID, m.ChainID, m.Blob} {
		if !d.Valid() {
			return fmt.Errorf("layer %s: invalid digest %q", m.ChainID, d)
		}
	}
	want := m.DiffID
	if m.Parent != "" {
		if !m.Parent.Valid() {
			return fmt.Errorf("layer %s: invalid parent %q", m.ChainID, m.Parent)
		}
		want = chainOf(m.Parent, m.DiffID)
	}
	if m.ChainID != want {
		return fmt.Errorf("layer %s: chain ID of diff %s on parent %q is %s", m.ChainID, m.DiffID, m.Parent, want)
	}
	return nil
}

// LayerDir is the directory of the layer with this chain ID (an overlay
// lower directory); empty for an invalid chain ID.
func (s *Store) LayerDir(chain Digest) string {
	if !chain.Valid() {
		return ""
	}
	return filepath.Join(s.layerDir(), chain.Hex())
}

func (s *Store) layerMetaPath(chain Digest) string {
	return filepath.Join(s.layerDir(), chain.Hex()+".json")
}

// HasLayer reports whether the layer is committed: its directory and, the
// commit marker written after it, its metadata.
func (s *Store) HasLayer(chain Digest) bool {
	dir := s.LayerDir(chain)
	if dir == "" {
		return false
	}
	if _, err := os.Lstat(s.layerMetaPath(chain)); err != nil {
		return false
	}
	st, err := os.Lstat(dir)
	return err == nil && st.IsDir()
}

// CommitLayer moves dir (from TempDir, fully unpacked) into place as the
// layer meta.ChainID and records meta. The caller must have checked the
// layer's content against meta.DiffID (a Verifier on the decompressed
// stream): the store cannot, and other images will share this directory.
//
// If the layer is already there (another process won the race, or an
// earlier commit was interrupted before its metadata), dir is removed with
// the Remover and the existing layer is kept: same chain ID, same content.
func (s *Store) CommitLayer(meta LayerMeta, dir string) error {
	if err := meta.check(); err != nil {
		return fmt.Errorf("commit layer: %w", err)
	}
	defer s.releaseTemp(dir)
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("commit layer %s: %w", meta.ChainID, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("commit layer %s: %s is not a directory", meta.ChainID, dir)
	}
	installed, err := renameDir(dir, s.LayerDir(meta.ChainID))
	if err != nil {
		return fmt.Errorf("commit layer %s: %w", meta.ChainID, err)
	}
	if !installed {
		if err := s.Remover(dir); err != nil {
			return fmt.Errorf("commit layer %s: remove duplicate %s: %w", meta.ChainID, dir, err)
		}
	} else if err := syncDir(s.layerDir()); err != nil {
		return fmt.Errorf("commit layer %s: %w", meta.ChainID, err)
	}
	// The loser writes the marker too if it is still missing, so that
	// HasLayer holds for every caller once CommitLayer returned. Both
	// write the same record, atomically.
	if _, err := os.Lstat(s.layerMetaPath(meta.ChainID)); err == nil {
		return nil
	}
	if err := s.writeJSON(s.layerMetaPath(meta.ChainID), meta); err != nil {
		return fmt.Errorf("commit layer %s: %w", meta.ChainID, err)
	}
	return nil
}

// Layer reads the metadata of a committed layer.
func (s *Store) Layer(chain Digest) (LayerMeta, error) {
	if !chain.Valid() {
		return LayerMeta{}, fmt.Errorf("layer: invalid chain ID %q", chain)
	}
	var m LayerMeta
	if err := readJSON(s.layerMetaPath(chain), &m); err != nil {
		return LayerMeta{}, fmt.Errorf("layer %s: %w", chain, err)
	}
	return m, nil
}

// Layers lists the committed layers, sorted by chain ID.
func (s *Store) Layers() ([]LayerMeta, error) {
	chains, err := s.layerChains()
	if err != nil {
		return nil, err
	}
	var out []LayerMeta
	for _, c := range chains {
		m, err := s.Layer(c)
		if errors.Is(err, ErrNotFound) {
			continue // removed meanwhile, or a directory without its marker
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// layerChains is every chain ID with a directory or a marker in layers/,
// committed or not.
func (s *Store) layerChains() ([]Digest, error) {
	entries, err := os.ReadDir(s.layerDir())
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	seen := map[Digest]bool{}
	for _, e := range entries {
		d, err := ParseDigest(digestPrefix + strings.TrimSuffix(e.Name(), ".json"))
		if err == nil {
			seen[d] = true
		}
	}
	out := make([]Digest, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
