package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestImagesRoundTrip(t *testing.T) {
	s := openStore(t)
	old := addImage(t, s, "old", t0, "base", "one")
	img := addImage(t, s, "new", t0.Add(time.Hour), "base", "two", "three")
	s2, err := Open(s.Root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Image(img.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, img) {
		t.Errorf("Image = %+v\nwant %+v", got, img)
	}
	all, err := s2.Images()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Digest != img.Digest || all[1].Digest != old.Digest {
		t.Errorf("Images: %v, want newest first", all)
	}
	if img.Layers[0].ChainID != old.Layers[0].ChainID {
		t.Error("the shared base layer has two chain IDs")
	}
	for _, l := range img.Layers {
		if !s2.HasLayer(l.ChainID) {
			t.Errorf("layer %s missing", l.ChainID)
		}
	}
	if found, err := s2.FindImage(img.Digest.Hex()[:10]); err != nil || found.Digest != img.Digest {
		t.Errorf("FindImage by prefix: %v, %v", found.Digest, err)
	}
	if _, err := s2.FindImage("ffffffffffffff"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindImage of nothing: %v", err)
	}
	if _, err := s2.Image(FromBytes([]byte("absent"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Image of a missing digest: %v, want ErrNotFound", err)
	}
}

func TestPutImageChecks(t *testing.T) {
	s := openStore(t)
	good := addImage(t, s, "good", t0, "base", "top")
	mutate := func(f func(*Image)) Image {
		img := good
		img.Layers = append([]ImageLayer(nil), good.Layers...)
		f(&img)
		return img
	}
	for name, img := range map[string]Image{
		"missing manifest blob": mutate(func(i *Image) { i.Digest = FromBytes([]byte("unstored manifest")) }),
		"missing config blob":   mutate(func(i *Image) { i.Config = FromBytes([]byte("unstored config")) }),
		"missing layer blob":    mutate(func(i *Image) { i.Layers[1].Blob = FromBytes([]byte("unstored layer")) }),
		"wrong chain ID":        mutate(func(i *Image) { i.Layers[1].ChainID = i.Layers[1].DiffID }),
		"invalid digest":        mutate(func(i *Image) { i.Config = "sha256:abc" }),
		"missing layer": mutate(func(i *Image) {
			i.Layers[1].DiffID = FromBytes([]byte("never unpacked"))
			i.Layers[1].ChainID = ChainIDs([]Digest{i.Layers[0].DiffID, i.Layers[1].DiffID})[1]
		}),
	} {
		if err := s.PutImage(img); err == nil {
			t.Errorf("%s: PutImage succeeded", name)
		}
	}
}

func TestRemoveImageRefusedWhileTagged(t *testing.T) {
	s := openStore(t)
	img := addImage(t, s, "x", t0, "base")
	for _, n := range []string{"example.com/a:1", "example.com/b:2"} {
		if err := s.Tag(n, img.Digest); err != nil {
			t.Fatal(err)
		}
	}
	err := s.RemoveImage(img.Digest)
	if !errors.Is(err, ErrTagged) || !strings.Contains(err.Error(), "example.com/a:1, example.com/b:2") {
		t.Fatalf("RemoveImage of a tagged image: %v", err)
	}
	s.Untag("example.com/a:1")
	if err := s.RemoveImage(img.Digest); !errors.Is(err, ErrTagged) {
		t.Fatalf("RemoveImage with one name left: %v", err)
	}
	s.Untag("example.com/b:2")
	if err := s.RemoveImage(img.Digest); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Image(img.Digest); !errors.Is(err, ErrNotFound) {
		t.Errorf("Image after RemoveImage: %v", err)
	}
	if err := s.RemoveImage(img.Digest); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemoveImage: %v, want ErrNotFound", err)
	}
	// The content stays for Prune.
	if !s.HasBlob(img.Config) || !s.HasLayer(img.Layers[0].ChainID) {
		t.Error("RemoveImage removed content")
	}
}
