package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"nook/store"
)

// Unpacked is what unpacking one layer gave.
type Unpacked struct {
	DiffID string // of the decompressed stream
	Bytes  int64
	Notes  []string
}

// Unpacker unpacks the stored blob into the empty directory dir, inside the
// container's user namespace (so owners map as in a container).
type Unpacker interface {
	Unpack(blob, dir, name string) (Unpacked, error)
}

// Env is what Add works with.
type Env struct {
	Store    *store.Store
	Unpacker Unpacker
	Progress Progress // nil: silent
	// Jobs bounds the layers fetched and unpacked at once; 0: 3, as Docker.
	Jobs int
	// Explain turns a layer fetch error into one line (the registry's).
	Explain func(what string, err error) error
	// Notes receives what unpacking skipped on purpose.
	Notes func(string)
}

// Source is an image to add.
type Source struct {
	Image v1.Image
	// Index is the raw multi-platform index it was chosen from, if any.
	Index    []byte
	Platform store.Platform
	// Names are normalized references to point at it.
	Names []string
}

// Add stores src's image and points src.Names at it. Layers already in the
// store (by chain ID) are neither fetched nor unpacked again. A Hold keeps
// Prune away from what is being added until the record lists it.
func Add(ctx context.Context, env Env, src Source) (store.Image, error) {
	release, err := env.Store.Hold()
	if err != nil {
		return store.Image{}, err
	}
	defer release()
	m, err := readManifest(src.Image)
	if err != nil {
		return store.Image{}, env.explain("", err)
	}
	if err := m.storeMeta(env.Store, src); err != nil {
		return store.Image{}, err
	}
	if err := env.layers(ctx, src.Image, m); err != nil {
		return store.Image{}, err
	}
	img := m.record(src)
	if err := env.Store.PutImage(img); err != nil {
		return store.Image{}, err
	}
	for _, n := range src.Names {
		if err := env.Store.Tag(n, img.Digest); err != nil {
			return img, err
		}
	}
	return img, nil
}

// storeMeta stores the index, manifest and config blobs.
func (m *manifest) storeMeta(st *store.Store, src Source) error {
	blobs := []struct {
		d    store.Digest
		data []byte
	}{{m.digest, m.raw}, {m.config, m.rawConfig}}
	if src.Index != nil {
		blobs = append(blobs, struct {
			d    store.Digest
			data []byte
		}{store.FromBytes(src.Index), src.Index})
	}
	for _, b := range blobs {
		if err := st.WriteBlob(b.d, int64(len(b.data)), bytes.NewReader(b.data)); err != nil {
			return fmt.Errorf("store %s: %w", b.d, err)
		}
	}
	return nil
}

func (m *manifest) record(src Source) store.Image {
	img := store.Image{
		Digest: m.digest, MediaType: m.mediaType, Config: m.config, Platform: src.Platform,
		Layers: m.layers, Created: m.created,
	}
	if img.Platform.OS == "" {
		img.Platform = m.platform
	}
	if src.Index != nil {
		img.Index = store.FromBytes(src.Index)
	}
	if img.Created.IsZero() {
		img.Created = time.Now().UTC()
	}
	for _, l := range m.layers {
		img.Size += l.Size
	}
	return img
}

// layers brings every layer into the store, Jobs at a time; the first
// failure cancels the others.
func (env Env) layers(ctx context.Context, img v1.Image, m *manifest) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := env.Jobs
	if jobs <= 0 {
		jobs = 3
	}
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i, l := range m.layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := env.layer(ctx, img, m, i, l); err != nil {
				once.Do(func() { first = err })
				cancel(err)
			}
		}()
	}
	wg.Wait()
	return first
}

// layer fetches one layer's blob if the store lacks it and unpacks it if
// needed. A layer can outlive its blob (a container kept it while its
// image was removed and pruned), and the record needs both.
func (env Env) layer(ctx context.Context, img v1.Image, m *manifest, i int, l store.ImageLayer) error {
	st := env.Store
	p := env.progress(l)
	haveLayer, haveBlob := st.HasLayer(l.ChainID), st.HasBlob(l.Blob)
	if haveLayer && haveBlob {
		p.Done("already present")
		return nil
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	fetched, err := env.fetch(ctx, img, i, l, p)
	if err == nil && !haveLayer {
		err = env.unpack(m, l)
	}
	if err != nil {
		p.Done("failed")
		return err
	}
	p.Done(status(fetched, !haveLayer))
	return nil
}

func status(fetched, unpacked bool) string {
	switch {
	case fetched && unpacked:
		return "downloaded and unpacked"
	case fetched:
		return "downloaded"
	case unpacked:
		return "unpacked"
	}
	return "already present"
}

// fetch stores the layer's blob, retrying twice: a registry that drops the
// connection mid-blob usually serves it on the next request. The store
// keeps nothing of a failed try.
func (env Env) fetch(ctx context.Context, img v1.Image, i int, l store.ImageLayer, p LayerProgress) (bool, error) {
	var err error
	var fetched bool
	for try := 0; try < 3; try++ {
		fetched, err = env.Store.EnsureBlob(l.Blob, l.Size, func() (io.ReadCloser, error) {
			return openLayer(ctx, img, i, p)
		})
		if err == nil || ctx.Err() != nil || !retryable(err) {
			break
		}
		p.Retry()
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, context.Cause(ctx)
		}
		return false, env.explain("layer "+l.Blob.String(), err)
	}
	return fetched, nil
}

func (env Env) explain(what string, err error) error {
	switch {
	case env.Explain != nil:
		return env.Explain(what, err)
	case what == "":
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// unpack unpacks the stored blob of l into a temporary directory, checks
// its diff ID and commits it, under the layer's lock so that concurrent
// pulls unpack it once.
func (env Env) unpack(m *manifest, l store.ImageLayer) error {
	st := env.Store
	unlock, err := st.LockLayer(l.ChainID)
	if err != nil {
		return err
	}
	defer unlock()
	if st.HasLayer(l.ChainID) {
		return nil
	}
	dir, err := st.TempDir()
	if err != nil {
		return err
	}
	res, err := env.Unpacker.Unpack(st.BlobPath(l.Blob), dir, l.Blob.String())
	if err == nil && res.DiffID != l.DiffID.String() {
		err = fmt.Errorf("layer %s: %w: its content is %s, but the image config says %s", l.Blob, store.ErrMismatch, res.DiffID, l.DiffID)
	}
	if err != nil {
		_ = st.RemoveTemp(dir)
		return err
	}
	for _, n := range res.Notes {
		if env.Notes != nil {
			env.Notes(n)
		}
	}
	meta := store.LayerMeta{DiffID: l.DiffID, ChainID: l.ChainID, Blob: l.Blob, Size: res.Bytes, Parent: m.parent(l)}
	return st.CommitLayer(meta, dir)
}
