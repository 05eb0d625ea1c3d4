package images

import (
	"context"
	"errors"

	"nook/registry"
	"nook/store"
)

// Pulled is the outcome of Pull.
type Pulled struct {
	Image store.Image
	Name  string
	// UpToDate: the store already had this exact image; nothing was fetched.
	UpToDate bool
}

// Pull fetches the image ref names from its registry into the store.
func Pull(ctx context.Context, env Env, s string, o registry.Options) (Pulled, error) {
	ref, err := registry.ParseRef(s)
	if err != nil {
		return Pulled{}, err
	}
	found, err := registry.Fetch(ctx, ref, o)
	if err != nil {
		return Pulled{}, err
	}
	out := Pulled{Name: ref.String()}
	if img, ok := present(env.Store, found); ok {
		out.Image, out.UpToDate = img, true
		return out, env.Store.Tag(out.Name, img.Digest)
	}
	env.Explain = func(what string, err error) error { return registry.Explain(ref, what, err) }
	p := found.Platform
	src := Source{Image: found.Image, Index: found.Index, Names: []string{out.Name},
		Platform: store.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}}
	out.Image, err = Add(ctx, env, src)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return out, errors.New("pull interrupted: run it again to finish (what was downloaded is kept)")
	}
	return out, err
}

// present finds the stored record of the image found in the registry.
func present(st *store.Store, found *registry.Image) (store.Image, bool) {
	d, err := found.Image.Digest()
	if err != nil {
		return store.Image{}, false
	}
	img, err := st.Image(store.Digest(d.String()))
	return img, err == nil
}
