package images

import (
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"nook/store"
)

// Progress shows the layers of an Add as they go.
type Progress interface {
	// Layer is called once per layer, before anything else happens to it.
	Layer(blob string, size int64) LayerProgress
}

// LayerProgress follows one layer.
type LayerProgress interface {
	// Add counts downloaded bytes.
	Add(n int)
	// Retry says a download starts over.
	Retry()
	// Done ends it: "already present", "downloaded and unpacked", "failed".
	Done(status string)
}

type silent struct{}

func (silent) Add(int)     {}
func (silent) Retry()      {}
func (silent) Done(string) {}

func (env Env) progress(l store.ImageLayer) LayerProgress {
	if env.Progress == nil {
		return silent{}
	}
	return env.Progress.Layer(l.Blob.String(), l.Size)
}

// openLayer opens layer i's compressed stream, counted for p.
func openLayer(ctx context.Context, img v1.Image, i int, p LayerProgress) (io.ReadCloser, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if i >= len(layers) {
		return nil, fmt.Errorf("layer %d of %d missing", i, len(layers))
	}
	rc, err := layers[i].Compressed()
	if err != nil {
		return nil, err
	}
	return &counted{rc: rc, ctx: ctx, p: p}, nil
}

// counted reports bytes as they are read and stops a download whose
// context ended (an interrupted pull).
type counted struct {
	rc  io.ReadCloser
	ctx context.Context
	p   LayerProgress
}

func (c *counted) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.rc.Read(b)
	c.p.Add(n)
	return n, err
}

func (c *counted) Close() error { return c.rc.Close() }
