package images

import (
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"nook/store"
)

// stored is a stored image as go-containerregistry sees one, for save.
type stored struct {
	st  *store.Store
	img store.Image
}

// V1 is the stored image as a v1.Image (its blobs read from the store).
func V1(st *store.Store, img store.Image) (v1.Image, error) {
	return partial.CompressedToImage(stored{st: st, img: img})
}

func (s stored) readBlob(d store.Digest) ([]byte, error) {
	f, err := s.st.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (s stored) RawConfigFile() ([]byte, error) { return s.readBlob(s.img.Config) }
func (s stored) RawManifest() ([]byte, error)   { return s.readBlob(s.img.Digest) }
func (s stored) MediaType() (types.MediaType, error) {
	return types.MediaType(s.img.MediaType), nil
}

func (s stored) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range s.img.Layers {
		if l.Blob.String() == h.String() {
			return storedLayer{st: s.st, l: l}, nil
		}
	}
	// The config is fetched through here too.
	if h.String() == s.img.Config.String() {
		return storedLayer{st: s.st, l: store.ImageLayer{Blob: s.img.Config, MediaType: string(types.OCIConfigJSON)}}, nil
	}
	return nil, os.ErrNotExist
}

type storedLayer struct {
	st *store.Store
	l  store.ImageLayer
}

func (l storedLayer) Digest() (v1.Hash, error) { return v1.NewHash(l.l.Blob.String()) }
func (l storedLayer) Compressed() (io.ReadCloser, error) {
	return l.st.OpenBlob(l.l.Blob)
}
func (l storedLayer) Size() (int64, error) {
	st, err := os.Stat(l.st.BlobPath(l.l.Blob))
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
func (l storedLayer) MediaType() (types.MediaType, error) { return types.MediaType(l.l.MediaType), nil }
