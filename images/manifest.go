package images

import (
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"nook/store"
)

// manifest is what Add needs of an image, read and checked once.
type manifest struct {
	raw       []byte
	digest    store.Digest
	mediaType string
	rawConfig []byte
	config    store.Digest
	created   time.Time
	platform  store.Platform
	layers    []store.ImageLayer
}

func readManifest(img v1.Image) (*manifest, error) {
	m := &manifest{}
	var err error
	if m.raw, err = img.RawManifest(); err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	m.digest, m.mediaType = store.FromBytes(m.raw), string(mt)
	if m.rawConfig, err = img.RawConfigFile(); err != nil {
		return nil, fmt.Errorf("read image config: %w", err)
	}
	m.config = store.FromBytes(m.rawConfig)
	mf, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if mf.Config.Digest.String() != m.config.String() {
		return nil, fmt.Errorf("image config: %w: the manifest says %s, the config is %s", store.ErrMismatch, mf.Config.Digest, m.config)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("parse image config %s: %w", m.config, err)
	}
	m.created = cf.Created.UTC()
	m.platform = store.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	return m, m.readLayers(mf.Layers, cf.RootFS.DiffIDs)
}

func (m *manifest) readLayers(descs []v1.Descriptor, diffIDs []v1.Hash) error {
	if len(descs) != len(diffIDs) {
		return fmt.Errorf("image %s: the manifest lists %d layers but the config %d diff IDs", m.digest, len(descs), len(diffIDs))
	}
	diffs := make([]store.Digest, len(diffIDs))
	for i, h := range diffIDs {
		d, err := store.ParseDigest(h.String())
		if err != nil {
			return fmt.Errorf("image config %s: diff ID %d: %w", m.config, i, err)
		}
		diffs[i] = d
	}
	chains := store.ChainIDs(diffs)
	for i, d := range descs {
		blob, err := store.ParseDigest(d.Digest.String())
		if err != nil {
			return fmt.Errorf("image %s: layer %d: %w", m.digest, i, err)
		}
		if !layerMediaType(d.MediaType) {
			return fmt.Errorf("image %s: layer %s has media type %s, which nook cannot unpack (only tar, gzip and zstd layers)", m.digest, blob, d.MediaType)
		}
		m.layers = append(m.layers, store.ImageLayer{Blob: blob, MediaType: string(d.MediaType), Size: d.Size, DiffID: diffs[i], ChainID: chains[i]})
	}
	return nil
}

// parent is the chain ID beneath l, empty for the base layer.
func (m *manifest) parent(l store.ImageLayer) store.Digest {
	for i, x := range m.layers {
		if x.ChainID == l.ChainID && i > 0 {
			return m.layers[i-1].ChainID
		}
	}
	return ""
}

func layerMediaType(mt types.MediaType) bool {
	switch mt {
	case types.DockerLayer, types.DockerUncompressedLayer, types.OCILayer, types.OCIUncompressedLayer, types.OCILayerZStd,
		types.DockerForeignLayer, types.OCIRestrictedLayer, types.OCIUncompressedRestrictedLayer:
		return true
	}
	return false
}
