package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tests that need several processes re-exec the test binary with
// helperEnv naming what the child does (helpers in proc_test.go).
const helperEnv = "NOOK_STORE_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := runHelper(mode); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// content is n deterministic bytes derived from seed.
func content(seed string, n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", seed, i)))
		b.Write(sum[:])
	}
	return b.Bytes()[:n]
}

// dirNames lists dir, failing the test if it cannot.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	if names := dirNames(t, dir); len(names) > 0 {
		t.Errorf("%s not empty: %v", dir, names)
	}
}

// slowReader hands out its content a chunk at a time with a pause, so that
// concurrent writers really overlap.
type slowReader struct {
	b     []byte
	chunk int
	pause time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := min(len(p), r.chunk, len(r.b))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// helper starts this test binary as a child running mode.
func helper(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + mode}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// fixture layers and images: blobs with made-up content, layer directories
// with one file each.

func addLayer(t testing.TB, s *Store, parent Digest, name string) ImageLayer {
	t.Helper()
	blob := []byte("blob of " + name)
	l := ImageLayer{
		Blob:      FromBytes(blob),
		MediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
		Size:      int64(len(blob)),
		DiffID:    FromBytes([]byte("diff of " + name)),
	}
	l.ChainID = l.DiffID
	if parent != "" {
		l.ChainID = ChainIDs([]Digest{parent, l.DiffID})[1]
	}
	if err := s.WriteBlob(l.Blob, l.Size, bytes.NewReader(blob)); err != nil {
		t.Fatal(err)
	}
	if s.HasLayer(l.ChainID) {
		return l
	}
	dir, err := s.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, strings.ReplaceAll(name, "/", "_")), []byte(name), 0o644); err != nil {
		t.Fatal(err)
	}
	meta := LayerMeta{DiffID: l.DiffID, ChainID: l.ChainID, Parent: parent, Blob: l.Blob, Size: int64(len(name))}
	if err := s.CommitLayer(meta, dir); err != nil {
		t.Fatal(err)
	}
	return l
}

// addImage stores an image whose layers are named by layerNames (bottom
// first); equal prefixes of names give shared layers.
func addImage(t testing.TB, s *Store, id string, created time.Time, layerNames ...string) Image {
	t.Helper()
	cfg := []byte("config of " + id)
	man := []byte("manifest of " + id)
	for _, b := range [][]byte{cfg, man} {
		if err := s.WriteBlob(FromBytes(b), int64(len(b)), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	img := Image{
		Digest:    FromBytes(man),
		MediaType: "application/vnd.oci.image.manifest.v1+json",
		Config:    FromBytes(cfg),
		Platform:  Platform{OS: "linux", Architecture: "amd64"},
		Created:   created,
	}
	var parent Digest
	for i := range layerNames {
		l := addLayer(t, s, parent, strings.Join(layerNames[:i+1], "/"))
		img.Layers = append(img.Layers, l)
		img.Size += l.Size
		parent = l.ChainID
	}
	if err := s.PutImage(img); err != nil {
		t.Fatal(err)
	}
	return img
}

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
