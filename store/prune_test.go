package store

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Two images share a base layer: removing one keeps the base and the
// other's content, removing the last takes everything.
func TestPruneSharedLayers(t *testing.T) {
	s := openStore(t)
	var removed []string
	s.Remover = func(dir string) error {
		removed = append(removed, dir)
		return os.RemoveAll(dir)
	}
	a := addImage(t, s, "a", t0, "base", "a1")
	b := addImage(t, s, "b", t0, "base", "b1")
	base := a.Layers[0].ChainID
	if b.Layers[0].ChainID != base {
		t.Fatal("fixture: the base layer is not shared")
	}
	for n, img := range map[string]Image{"a:1": a, "b:1": b} {
		if err := s.Tag(n, img.Digest); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Prune(PruneOptions{Dangling: true})
	if err != nil || len(res.Images)+len(res.Layers)+len(res.Blobs) != 0 {
		t.Fatalf("Prune with everything tagged removed %+v, %v", res, err)
	}

	if err := s.Untag("a:1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveImage(a.Digest); err != nil {
		t.Fatal(err)
	}
	res, err = s.Prune(PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Layers, []Digest{a.Layers[1].ChainID}) {
		t.Errorf("removed layers %v, want only a's top %s", res.Layers, a.Layers[1].ChainID)
	}
	wantBlobs := []Digest{a.Digest, a.Config, a.Layers[1].Blob}
	slices.Sort(wantBlobs)
	if !slices.Equal(res.Blobs, wantBlobs) {
		t.Errorf("removed blobs %v, want %v", res.Blobs, wantBlobs)
	}
	if res.Bytes <= 0 {
		t.Errorf("freed %d bytes", res.Bytes)
	}
	for _, l := range b.Layers {
		if !s.HasLayer(l.ChainID) || !s.HasBlob(l.Blob) {
			t.Errorf("b's layer %s lost", l.ChainID)
		}
	}
	if s.HasLayer(a.Layers[1].ChainID) {
		t.Error("a's top layer still there")
	}
	if len(removed) != 1 || !strings.HasPrefix(filepath.Base(removed[0]), "rm-") {
		t.Errorf("Remover called for %v, want one directory moved into tmp/", removed)
	}

	// The last image: untagged it is dangling, and Prune takes it only
	// when asked.
	if err := s.Untag("b:1"); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Prune(PruneOptions{}); err != nil || len(res.Images) != 0 || !s.HasLayer(base) {
		t.Fatalf("Prune without Dangling: %+v, %v", res, err)
	}
	res, err = s.Prune(PruneOptions{Dangling: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Images, []Digest{b.Digest}) || len(res.Layers) != 2 || len(res.Blobs) != 4 {
		t.Errorf("last Prune removed %+v", res)
	}
	for _, d := range []string{s.blobDir(), s.layerDir(), s.imageDir(), s.tmpDir()} {
		assertEmpty(t, d)
	}
}

func TestPruneKeepsLayersInUse(t *testing.T) {
	s := openStore(t)
	img := addImage(t, s, "x", t0, "base", "top")
	if err := s.RemoveImage(img.Digest); err != nil { // rmi -f, container running
		t.Fatal(err)
	}
	top := img.Layers[1].ChainID
	res, err := s.Prune(PruneOptions{InUse: func(c Digest) bool { return c == top }})
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasLayer(top) || s.HasLayer(img.Layers[0].ChainID) {
		t.Errorf("kept %v / removed %v: want only the in-use layer kept", top, res.Layers)
	}
}

// A pull in progress (Hold) keeps Prune off its unlisted content.
func TestPruneWaitsForHold(t *testing.T) {
	s := openStore(t)
	b := []byte("fresh blob, no image yet")
	if err := s.WriteBlob(FromBytes(b), int64(len(b)), strings.NewReader(string(b))); err != nil {
		t.Fatal(err)
	}
	release, err := s.Hold()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(PruneOptions{NoWait: true}); !errors.Is(err, ErrBusy) {
		t.Errorf("Prune during a Hold: %v, want ErrBusy", err)
	}
	done := make(chan error)
	go func() {
		_, err := s.Prune(PruneOptions{})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Prune did not wait for the Hold: %v", err)
	default:
	}
	if !s.HasBlob(FromBytes(b)) {
		t.Fatal("blob removed during a Hold")
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s.HasBlob(FromBytes(b)) {
		t.Error("unreferenced blob kept after the Hold")
	}
}
