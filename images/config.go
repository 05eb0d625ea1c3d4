package images

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"nook/store"
)

// Config reads a stored image's config (verified when it was stored).
func Config(st *store.Store, img store.Image) (*v1.ConfigFile, error) {
	f, err := st.OpenBlob(img.Config)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cf, err := v1.ParseConfigFile(f)
	if err != nil {
		return nil, fmt.Errorf("image %s: config %s: %w", img.Digest, img.Config, err)
	}
	return cf, nil
}
