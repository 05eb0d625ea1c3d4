package images

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"nook/store"
)

func TestAddStoresAndNames(t *testing.T) {
	env, u := testEnv(t)
	base := layerOf(t, map[string]string{"etc/os-release": "test"})
	img := imageOf(t, base, layerOf(t, map[string]string{"bin/app": "#!"}))
	got := add(t, env, img, "docker.io/library/app:1")
	if len(got.Layers) != 2 || u.calls.Load() != 2 {
		t.Fatalf("layers %d, unpacks %d", len(got.Layers), u.calls.Load())
	}
	d, _ := img.Digest()
	if got.Digest.String() != d.String() || got.Platform.Architecture != "amd64" {
		t.Errorf("record %+v", got)
	}
	if b, err := os.ReadFile(filepath.Join(env.Store.LayerDir(got.Layers[1].ChainID), "bin/app")); err != nil || string(b) != "#!" {
		t.Errorf("top layer: %q %v", b, err)
	}
	found, err := Find(env.Store, "app:1")
	if err != nil || found.Digest != got.Digest {
		t.Errorf("Find(app:1) = %v, %v", found.Digest, err)
	}
	for _, s := range []string{got.Digest.Hex()[:6], got.Digest.String(), "docker.io/library/app@" + got.Digest.String()} {
		if f, err := Find(env.Store, s); err != nil || f.Digest != got.Digest {
			t.Errorf("Find(%s) = %v, %v", s, f.Digest, err)
		}
	}
}

func TestAddSharesLayersAndSkipsPresentOnes(t *testing.T) {
	env, u := testEnv(t)
	base := layerOf(t, map[string]string{"base": "b"})
	add(t, env, imageOf(t, base, layerOf(t, map[string]string{"one": "1"})), "docker.io/library/one:latest")
	add(t, env, imageOf(t, base, layerOf(t, map[string]string{"two": "2"})), "docker.io/library/two:latest")
	if n := u.calls.Load(); n != 3 {
		t.Errorf("unpacked %d layers, want 3 (the base once)", n)
	}
	layers, err := env.Store.Layers()
	if err != nil || len(layers) != 3 {
		t.Errorf("store has %d layers (%v), want 3", len(layers), err)
	}
}

func TestAddRefusesWrongDiffID(t *testing.T) {
	env, _ := testEnv(t)
	img := imageOf(t, layerOf(t, map[string]string{"a": "a"}))
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs[0].Hex = strings.Repeat("0", 64)
	lying, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Add(context.Background(), env, Source{Image: lying, Names: []string{"docker.io/library/lie:latest"}})
	if !errors.Is(err, store.ErrMismatch) || !strings.Contains(err.Error(), "image config says") {
		t.Fatalf("err = %v", err)
	}
	if imgs, _ := env.Store.Images(); len(imgs) != 0 {
		t.Errorf("half image recorded: %v", imgs)
	}
	if layers, _ := env.Store.Layers(); len(layers) != 0 {
		t.Errorf("unverified layer committed: %v", layers)
	}
}

func TestSplitName(t *testing.T) {
	for in, want := range map[string][2]string{
		"docker.io/library/alpine:3": {"docker.io/library/alpine", "3"},
		"localhost:5000/a:b":         {"localhost:5000/a", "b"},
		"localhost:5000/a@sha256:00": {"localhost:5000/a", "<none>"},
		"localhost:5000/a":           {"localhost:5000/a", "<none>"},
	} {
		r, tag := SplitName(in)
		if r != want[0] || tag != want[1] {
			t.Errorf("SplitName(%q) = %q %q", in, r, tag)
		}
	}
}

func TestFindMissing(t *testing.T) {
	env, _ := testEnv(t)
	_, err := Find(env.Store, "nothere")
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "nook pull nothere") {
		t.Errorf("err = %v", err)
	}
	if _, err := Find(env.Store, "Bad::Name"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("bad name: %v", err)
	}
}

// A container can keep a layer whose blob was pruned with its image; adding
// the image again must fetch the blob without unpacking the layer again.
func TestAddRefetchesBlobOfKeptLayer(t *testing.T) {
	env, u := testEnv(t)
	img := imageOf(t, layerOf(t, map[string]string{"a": "a"}))
	got := add(t, env, img, "docker.io/library/kept:1")
	if err := env.Store.Untag("docker.io/library/kept:1"); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.RemoveImage(got.Digest); err != nil {
		t.Fatal(err)
	}
	chain := got.Layers[0].ChainID
	if _, err := env.Store.Prune(store.PruneOptions{InUse: func(d store.Digest) bool { return d == chain }}); err != nil {
		t.Fatal(err)
	}
	if env.Store.HasBlob(got.Layers[0].Blob) || !env.Store.HasLayer(chain) {
		t.Fatal("setup: want the layer kept and its blob pruned")
	}
	add(t, env, img, "docker.io/library/kept:1")
	if !env.Store.HasBlob(got.Layers[0].Blob) || u.calls.Load() != 1 {
		t.Errorf("blob back: %v, unpacks %d (want 1)", env.Store.HasBlob(got.Layers[0].Blob), u.calls.Load())
	}
}
