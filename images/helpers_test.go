package images

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"nook/layer"
	"nook/store"
)

// inProcess unpacks in the test process (owners are the caller's), counting
// its calls.
type inProcess struct{ calls atomic.Int32 }

func (u *inProcess) Unpack(blob, dir, name string) (Unpacked, error) {
	u.calls.Add(1)
	f, err := os.Open(blob)
	if err != nil {
		return Unpacked{}, err
	}
	defer f.Close()
	res, err := layer.Unpack(f, dir, name, layer.Options{})
	if err != nil {
		return Unpacked{}, err
	}
	return Unpacked{DiffID: res.DiffID, Bytes: res.Bytes}, nil
}

func testEnv(t *testing.T) (Env, *inProcess) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u := &inProcess{}
	return Env{Store: st, Unpacker: u}, u
}

// tarOf builds a layer tar of files (name → content).
func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(data))
	}
	tw.Close()
	return b.Bytes()
}

func layerOf(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	data := tarOf(t, files)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Cmd = []string{"/bin/app"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func add(t *testing.T, env Env, img v1.Image, names ...string) store.Image {
	t.Helper()
	got, err := Add(context.Background(), env, Source{Image: img, Names: names})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
