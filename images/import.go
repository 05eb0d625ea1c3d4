package images

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"nook/store"
)

// Import makes a one-layer image of a root filesystem tarball (plain or
// compressed), as `docker import` does, named names.
func Import(ctx context.Context, env Env, file string, names []string) (store.Image, error) {
	if _, err := os.Stat(file); err != nil {
		return store.Image{}, fmt.Errorf("import: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return os.Open(file) })
	if err != nil {
		return store.Image{}, fmt.Errorf("import %s: %w", file, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return store.Image{}, fmt.Errorf("import %s: %w", file, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return store.Image{}, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: time.Now().UTC().Truncate(time.Second)}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return store.Image{}, err
	}
	return Add(ctx, env, Source{Image: img, Names: names})
}
