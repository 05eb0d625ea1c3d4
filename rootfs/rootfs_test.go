package rootfs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nook/store"
)

// testImage stores two empty layers and returns an image listing them.
func testImage(t *testing.T) (*store.Store, store.Image) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	diffs := []store.Digest{store.FromBytes([]byte("a")), store.FromBytes([]byte("b"))}
	chains := store.ChainIDs(diffs)
	img := store.Image{Digest: store.FromBytes([]byte("manifest"))}
	var parent store.Digest
	for i, d := range diffs {
		dir, err := st.TempDir()
		if err != nil {
			t.Fatal(err)
		}
		blob := store.FromBytes([]byte{byte(i)})
		if err := st.CommitLayer(store.LayerMeta{DiffID: d, ChainID: chains[i], Parent: parent, Blob: blob}, dir); err != nil {
			t.Fatal(err)
		}
		parent = chains[i]
		img.Layers = append(img.Layers, store.ImageLayer{Blob: blob, DiffID: d, ChainID: chains[i]})
	}
	return st, img
}

func TestCreateOverlay(t *testing.T) {
	st, img := testImage(t)
	r, err := Create(st, Record{ID: "c1", Name: "docker.io/library/x:1", Driver: Overlay}, img, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := r.Overlay(st)
	if len(o.Lower) != 2 || o.Lower[0] != st.LayerDir(img.Layers[1].ChainID) || o.Lower[1] != st.LayerDir(img.Layers[0].ChainID) {
		t.Errorf("lower dirs not topmost first: %v", o.Lower)
	}
	for _, d := range []string{o.Upper, o.Work, r.Path()} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	recs, err := List(st)
	if err != nil || len(recs) != 1 || recs[0].Image != img.Digest || recs[0].Driver != Overlay {
		t.Fatalf("List = %+v, %v", recs, err)
	}
	inUse := LayersInUse(recs)
	if !inUse(img.Layers[0].ChainID) || inUse(store.FromBytes([]byte("other"))) {
		t.Error("LayersInUse")
	}
	if err := Remove(st, "c1", os.RemoveAll); err != nil {
		t.Fatal(err)
	}
	if recs, _ := List(st); len(recs) != 0 {
		t.Errorf("after Remove: %+v", recs)
	}
}

func TestCreateCopyFlattens(t *testing.T) {
	st, img := testImage(t)
	var got []string
	r, err := Create(st, Record{ID: "c2", Driver: Copy}, img, func(dst string, layers []string) error {
		got = layers
		return os.WriteFile(filepath.Join(dst, "marker"), nil, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Overlay(st) != nil || len(got) != 2 || got[0] != st.LayerDir(img.Layers[0].ChainID) {
		t.Errorf("copy: overlay %v, layers %v (want bottom first)", r.Overlay(st), got)
	}
	if _, err := os.Stat(filepath.Join(r.Path(), "marker")); err != nil {
		t.Error(err)
	}
}

func TestCreateFailureLeavesNothing(t *testing.T) {
	st, img := testImage(t)
	_, err := Create(st, Record{ID: "c3", Driver: Copy}, img, func(string, []string) error { return errors.New("disk full") })
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(Dir(st), "c3")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("container directory left: %v", err)
	}
	missing := img
	missing.Layers = append(missing.Layers, store.ImageLayer{ChainID: store.FromBytes([]byte("gone"))})
	if _, err := Create(st, Record{ID: "c4", Driver: Overlay}, missing, nil); err == nil || !strings.Contains(err.Error(), "pull the image again") {
		t.Errorf("missing layer: %v", err)
	}
}

func TestDriverProbesOnce(t *testing.T) {
	st, _ := testImage(t)
	probes, announced := 0, 0
	probe := func(string) (bool, error) { probes++; return false, nil }
	for range 3 {
		d, err := Driver(st, probe, func(string) { announced++ })
		if err != nil || d != Copy {
			t.Fatalf("Driver = %q, %v", d, err)
		}
	}
	if probes != 1 || announced != 1 {
		t.Errorf("probed %d times, announced %d", probes, announced)
	}
	b, _ := os.ReadFile(filepath.Join(st.Root, "driver"))
	if !bytes.Equal(b, []byte("copy\n")) {
		t.Errorf("driver file %q", b)
	}
	if _, err := Driver(st, func(string) (bool, error) { return false, errors.New("x") }, nil); err != nil {
		t.Errorf("a recorded driver must not probe again: %v", err)
	}
}
