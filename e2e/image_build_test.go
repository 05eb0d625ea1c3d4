package e2e

// Test images, built by the tests themselves with go-containerregistry from
// the busybox-static rootfs and the probe, and pushed to the shared
// registry (registry_harness_test.go); hostile layers are raw tar written
// by hand.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"

	testrootfs "nook/testdata/rootfs"
)

// imageCreated is every test image's creation time.
var imageCreated = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// compression of a test layer.
type compression int

const (
	gzipped compression = iota
	zstdCompressed
	uncompressed
)

// rawLayer is a v1.Layer made of given bytes: the blob as stored, and the
// tar it stands for (which need not match, for a hostile layer).
type rawLayer struct {
	blob   []byte // as pushed
	tar    []byte // uncompressed
	digest v1.Hash
	diffID v1.Hash
	media  types.MediaType
}

func (l *rawLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *rawLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *rawLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}
func (l *rawLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.tar)), nil
}
func (l *rawLayer) Size() (int64, error)                { return int64(len(l.blob)), nil }
func (l *rawLayer) MediaType() (types.MediaType, error) { return l.media, nil }

func sha256Hash(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// newLayer compresses tarBytes into a layer. oci picks OCI media types
// (required for zstd) over Docker's.
func newLayer(tarBytes []byte, c compression, oci bool) *rawLayer {
	l := &rawLayer{tar: tarBytes, diffID: sha256Hash(tarBytes)}
	switch c {
	case gzipped:
		l.blob = gzipBytes(tarBytes)
		l.media = types.DockerLayer
		if oci {
			l.media = types.OCILayer
		}
	case zstdCompressed:
		l.blob = zstdBytes(tarBytes)
		l.media = types.OCILayerZStd
	case uncompressed:
		l.blob = tarBytes
		l.media = types.DockerUncompressedLayer
		if oci {
			l.media = types.OCIUncompressedLayer
		}
	}
	l.digest = sha256Hash(l.blob)
	return l
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func zstdBytes(b []byte) []byte {
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// tarEntry is one entry of a hand-built layer.
type tarEntry struct {
	Name     string
	Type     byte // tar.TypeReg (default), TypeDir, TypeSymlink, TypeLink
	Body     string
	Linkname string
	Mode     int64 // default 0644, 0755 for a directory
	Uid, Gid int
}

func fileE(name, body string) tarEntry { return tarEntry{Name: name, Body: body} }
func dirE(name string) tarEntry {
	return tarEntry{Name: strings.TrimSuffix(name, "/") + "/", Type: tar.TypeDir}
}
func symE(name, target string) tarEntry {
	return tarEntry{Name: name, Type: tar.TypeSymlink, Linkname: target}
}
func hardE(name, target string) tarEntry {
	return tarEntry{Name: name, Type: tar.TypeLink, Linkname: target}
}

// tarOf writes entries as given, names untouched (a hostile one too).
func tarOf(entries ...tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: e.Mode,
			Uid: e.Uid, Gid: e.Gid, ModTime: imageCreated, Format: tar.FormatPAX,
		}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(fmt.Sprintf("tar entry %q: %v", e.Name, err))
		}
		if h.Size > 0 {
			tw.Write([]byte(e.Body))
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// tarDir makes a layer tar of the tree at root, every entry owned by 0:0.
func tarDir(root string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		h.ModTime, h.AccessTime, h.ChangeTime = imageCreated, time.Time{}, time.Time{}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(tw, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newImage makes an image of layers with config cfg, for linux/arch
// ("" is amd64), in OCI media types or Docker's.
func newImage(cfg v1.Config, arch string, oci bool, layers ...v1.Layer) (v1.Image, error) {
	if arch == "" {
		arch = "amd64"
	}
	base := empty.Image
	if oci {
		base = mutate.MediaType(base, types.OCIManifestSchema1)
		base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	}
	img, err := mutate.ConfigFile(base, &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      v1.Time{Time: imageCreated},
		Config:       cfg,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:     l,
			MediaType: mustMedia(l),
			History:   v1.History{Created: v1.Time{Time: imageCreated}, CreatedBy: "nook e2e"},
		})
		if err != nil {
			return nil, err
		}
	}
	return img, nil
}

func mustMedia(l v1.Layer) types.MediaType {
	mt, err := l.MediaType()
	if err != nil {
		panic(err)
	}
	return mt
}

// pushed is an image (or index) in the shared registry.
type pushed struct {
	Repo   string // "test/busybox"
	Tag    string // "latest"
	Digest string // of the manifest or index: "sha256:<hex>"
	Config string // config digest; empty for an index
	// Layers and DiffIDs of the image, base first; ChainIDs as the store
	// names its layer directories (hex only).
	Layers, DiffIDs, ChainIDs []string
	Image                     v1.Image      // nil for an index
	Index                     v1.ImageIndex // nil for an image
}

// Ref is the image's reference by tag at the shared registry.
func (p pushed) Ref(t *testing.T) string { return registryAddr(t) + "/" + p.Repo + ":" + p.Tag }

// DigestRef is the reference by digest at the shared registry.
func (p pushed) DigestRef(t *testing.T) string {
	return registryAddr(t) + "/" + p.Repo + "@" + p.Digest
}

// ID is the image ID nook shows: the manifest digest's first 12 hex digits.
func (p pushed) ID() string { return strings.TrimPrefix(p.Digest, "sha256:")[:12] }

// chainIDs computes chain IDs (hex) from diff IDs ("sha256:<hex>").
func chainIDs(diffIDs []string) []string {
	var out []string
	chain := ""
	for i, d := range diffIDs {
		if i == 0 {
			chain = d
		} else {
			chain = sha256Hash([]byte(chain + " " + d)).String()
		}
		out = append(out, strings.TrimPrefix(chain, "sha256:"))
	}
	return out
}

func describe(repo, tag string, img v1.Image) (pushed, error) {
	p := pushed{Repo: repo, Tag: tag, Image: img}
	d, err := img.Digest()
	if err != nil {
		return p, err
	}
	p.Digest = d.String()
	c, err := img.ConfigName()
	if err != nil {
		return p, err
	}
	p.Config = c.String()
	layers, err := img.Layers()
	if err != nil {
		return p, err
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return p, err
		}
		diff, err := l.DiffID()
		if err != nil {
			return p, err
		}
		p.Layers = append(p.Layers, d.String())
		p.DiffIDs = append(p.DiffIDs, diff.String())
	}
	p.ChainIDs = chainIDs(p.DiffIDs)
	return p, nil
}

func parseRef(addr, repo, tag string) (name.Reference, error) {
	return name.ParseReference(addr+"/"+repo+":"+tag, name.Insecure)
}

// pushImage pushes img to the shared registry (already started) as repo:tag.
func pushImage(repo, tag string, img v1.Image) (pushed, error) {
	ref, err := parseRef(registry.addr, repo, tag)
	if err != nil {
		return pushed{}, err
	}
	if err := remote.Write(ref, img); err != nil {
		return pushed{}, fmt.Errorf("push %s: %w", ref, err)
	}
	return describe(repo, tag, img)
}

// pushIndex pushes an OCI index of the images, each with its platform.
func pushIndex(repo, tag string, imgs map[string]v1.Image) (pushed, error) {
	ref, err := parseRef(registry.addr, repo, tag)
	if err != nil {
		return pushed{}, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range sortedKeys(imgs) {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        imgs[arch],
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		return pushed{}, fmt.Errorf("push %s: %w", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return pushed{}, err
	}
	return pushed{Repo: repo, Tag: tag, Digest: d.String(), Index: idx}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// rawManifest is a manifest pushed as bytes, for an artifact that is no
// image.
type rawManifest struct {
	body  []byte
	media types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.body, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.media, nil }

// pushArtifact pushes an OCI manifest whose config and layer are not an
// image's (as a Helm chart or a signature is).
func pushArtifact(repo, tag string) (pushed, error) {
	ref, err := parseRef(registry.addr, repo, tag)
	if err != nil {
		return pushed{}, err
	}
	cfg := []byte(`{"name":"not-an-image"}`)
	data := []byte("artifact data\n")
	for _, b := range [][]byte{cfg, data} {
		l := &rawLayer{blob: b, tar: b, digest: sha256Hash(b), diffID: sha256Hash(b), media: "application/octet-stream"}
		if err := remote.WriteLayer(ref.Context(), l); err != nil {
			return pushed{}, fmt.Errorf("push artifact blob: %w", err)
		}
	}
	body := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.nook.test.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.nook.test.data.v1","digest":"%s","size":%d}]}`,
		sha256Hash(cfg), len(cfg), sha256Hash(data), len(data))
	m := rawManifest{body: []byte(body), media: types.OCIManifestSchema1}
	if err := remote.Put(ref, m); err != nil {
		return pushed{}, fmt.Errorf("push %s: %w", ref, err)
	}
	return pushed{Repo: repo, Tag: tag, Digest: sha256Hash(m.body).String()}, nil
}

// The shared test images, built and pushed once (testImages).
type imageSet struct {
	BaseTar []byte // the busybox rootfs as a tar, owned by root

	Busybox      pushed // base layer; Cmd echoes "hello from busybox"
	Config       pushed // base + /work: Entrypoint, Cmd, Env, WorkingDir, User, Labels, ...
	Multi        pushed // index: amd64 and arm64, /etc/arch names the arch
	MultiAMD64   pushed
	MultiARM64   pushed
	ARMOnly      pushed // index with only an arm64 image
	SharedA      pushed // base + /etc/shared "a"
	SharedB      pushed // base + /etc/shared "b"
	Whiteout     pushed // base + 3 layers: files deleted, a directory made opaque
	Zstd         pushed // every layer zstd (OCI)
	Uncompressed pushed // every layer plain tar
	Owned        pushed // base + /owned owned by 1000:1000
	Artifact     pushed // an OCI artifact, no image

	// Hostile, one layer each: the layer is Layers[0].
	DotDot    pushed // ../../escape
	Absolute  pushed // /escape-abs
	Symlink   pushed // link -> /, then link/escape-symlink
	Hardlink  pushed // hard link passwd -> /etc/passwd
	Truncated pushed // a gzip stream cut in the middle (digest of the cut blob)
}

var images struct {
	once sync.Once
	set  *imageSet
	err  error
}

// testImages builds and pushes the shared images on first use.
func testImages(t *testing.T) *imageSet {
	t.Helper()
	registryAddr(t)
	images.once.Do(func() {
		start := time.Now()
		images.set, images.err = buildImages()
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "e2e: test images built and pushed in %v\n", time.Since(start).Round(time.Millisecond))
		}
	})
	if images.err != nil {
		t.Fatalf("test images: %v", images.err)
	}
	return images.set
}

// baseTar is the busybox rootfs (testdata/rootfs) as a layer tar.
func baseTar() ([]byte, error) {
	dir, err := os.MkdirTemp(env.workDir, "image-rootfs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := testrootfs.Build(dir, env.probe); err != nil {
		return nil, err
	}
	return tarDir(dir)
}

func buildImages() (*imageSet, error) {
	s := &imageSet{}
	var err error
	if s.BaseTar, err = baseTar(); err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	base := newLayer(s.BaseTar, gzipped, false)
	baseOCI := newLayer(s.BaseTar, gzipped, true)
	path := "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

	type build struct {
		dst  *pushed
		repo string
		cfg  v1.Config
		arch string
		oci  bool
		ls   []v1.Layer
	}
	marker := func(path, body string) *rawLayer {
		return newLayer(tarOf(dirE("etc"), fileE(path, body)), gzipped, false)
	}
	builds := []build{
		{dst: &s.Busybox, repo: "test/busybox", ls: []v1.Layer{base},
			cfg: v1.Config{Env: []string{path}, Cmd: []string{"/bin/sh", "-c", "echo hello from busybox"}}},
		{dst: &s.Config, repo: "test/config", oci: true, ls: []v1.Layer{baseOCI,
			newLayer(tarOf(tarEntry{Name: "work/", Type: tar.TypeDir, Mode: 0o755, Uid: 1000, Gid: 1000},
				tarEntry{Name: "work/here", Body: "in the working directory\n", Uid: 1000, Gid: 1000}), gzipped, true)},
			cfg: v1.Config{
				Entrypoint:   []string{"/bin/echo", "entry"},
				Cmd:          []string{"cmd-default"},
				Env:          []string{"PATH=/usr/bin:/bin", "FOO=from-image", "SPACED=a b  c", "EMPTY="},
				WorkingDir:   "/work",
				User:         "1000:1000",
				Labels:       map[string]string{"org.nook.test": "config", "maintainer": "e2e"},
				StopSignal:   "SIGUSR1",
				ExposedPorts: map[string]struct{}{"8080/tcp": {}, "53/udp": {}},
			}},
		{dst: &s.MultiAMD64, repo: "test/multi-amd64", ls: []v1.Layer{base, marker("etc/arch", "amd64\n")},
			cfg: v1.Config{Env: []string{path}, Cmd: []string{"cat", "/etc/arch"}}},
		{dst: &s.MultiARM64, repo: "test/multi-arm64", arch: "arm64", ls: []v1.Layer{base, marker("etc/arch", "arm64\n")},
			cfg: v1.Config{Env: []string{path}, Cmd: []string{"cat", "/etc/arch"}}},
		{dst: &s.SharedA, repo: "test/shared-a", ls: []v1.Layer{base, marker("etc/shared", "a\n")},
			cfg: v1.Config{Env: []string{path}, Cmd: []string{"cat", "/etc/shared"}}},
		{dst: &s.SharedB, repo: "test/shared-b", ls: []v1.Layer{base, marker("etc/shared", "b\n")},
			cfg: v1.Config{Env: []string{path}, Cmd: []string{"cat", "/etc/shared"}}},
		{dst: &s.Whiteout, repo: "test/whiteout", ls: append([]v1.Layer{base}, whiteoutLayers()...),
			cfg: v1.Config{Env: []string{path}}},
		{dst: &s.Zstd, repo: "test/zstd", oci: true, ls: []v1.Layer{
			newLayer(s.BaseTar, zstdCompressed, true),
			newLayer(tarOf(dirE("etc"), fileE("etc/marker", "zstd\n")), zstdCompressed, true)},
			cfg: v1.Config{Env: []string{path}, Cmd: []string{"cat", "/etc/marker"}}},
		{dst: &s.Uncompressed, repo: "test/uncompressed", oci: true, ls: []v1.Layer{
			newLayer(s.BaseTar, uncompressed, true),
			newLayer(tarOf(dirE("etc"), fileE("etc/marker", "uncompressed\n")), uncompressed, true)},
			cfg: v1.Config{Env: []string{path}, Cmd: []string{"cat", "/etc/marker"}}},
		{dst: &s.Owned, repo: "test/owned", ls: []v1.Layer{base, newLayer(tarOf(
			tarEntry{Name: "owned/", Type: tar.TypeDir, Mode: 0o755, Uid: 1000, Gid: 1000},
			tarEntry{Name: "owned/file", Body: "mine\n", Mode: 0o640, Uid: 1000, Gid: 1000},
			tarEntry{Name: "owned/rootfile", Body: "root's\n", Mode: 0o644}), gzipped, false)},
			cfg: v1.Config{Env: []string{path}}},

		{dst: &s.DotDot, repo: "test/bad-dotdot", ls: []v1.Layer{newLayer(tarOf(
			dirE("etc"), fileE("etc/ok", "ok"), fileE("../../escape", "pwned\n")), gzipped, false)}},
		{dst: &s.Absolute, repo: "test/bad-absolute", ls: []v1.Layer{newLayer(tarOf(
			dirE("etc"), fileE("/escape-abs", "pwned\n")), gzipped, false)}},
		{dst: &s.Symlink, repo: "test/bad-symlink", ls: []v1.Layer{newLayer(tarOf(
			symE("link", "/"), fileE("link/escape-symlink", "pwned\n")), gzipped, false)}},
		{dst: &s.Hardlink, repo: "test/bad-hardlink", ls: []v1.Layer{newLayer(tarOf(
			dirE("etc"), hardE("passwd", "/etc/passwd")), gzipped, false)}},
		{dst: &s.Truncated, repo: "test/bad-truncated", ls: []v1.Layer{truncatedLayer()}},
	}
	for _, b := range builds {
		img, err := newImage(b.cfg, b.arch, b.oci, b.ls...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.repo, err)
		}
		if *b.dst, err = pushImage(b.repo, "latest", img); err != nil {
			return nil, err
		}
	}
	if s.Multi, err = pushIndex("test/multi", "latest", map[string]v1.Image{
		"amd64": s.MultiAMD64.Image, "arm64": s.MultiARM64.Image}); err != nil {
		return nil, err
	}
	if s.ARMOnly, err = pushIndex("test/arm-only", "latest", map[string]v1.Image{
		"arm64": s.MultiARM64.Image}); err != nil {
		return nil, err
	}
	if s.Artifact, err = pushArtifact("test/artifact", "latest"); err != nil {
		return nil, err
	}
	return s, nil
}

// whiteoutLayers, over the base: the first makes /dir and /opq and /gone,
// the second deletes /dir/a and /gone and makes /opq opaque with one new
// file, the third replaces the file /dir/b by a directory, adds /dir/d and
// makes /dir/sub opaque with one new file.
// Expected in the container: see TestImageWhiteouts.
func whiteoutLayers() []v1.Layer {
	return []v1.Layer{
		newLayer(tarOf(
			dirE("dir"), fileE("dir/a", "a"), fileE("dir/b", "b"), dirE("dir/sub"), fileE("dir/sub/c", "c"),
			dirE("opq"), fileE("opq/x", "x"), dirE("opq/y"), fileE("opq/y/z", "z"),
			fileE("gone", "gone"),
		), gzipped, false),
		newLayer(tarOf(
			dirE("dir"), fileE("dir/.wh.a", ""),
			dirE("opq"), fileE("opq/.wh..wh..opq", ""), fileE("opq/new", "new"),
			fileE(".wh.gone", ""),
		), gzipped, false),
		newLayer(tarOf(
			dirE("dir"), dirE("dir/b"), fileE("dir/b/inner", "inner"), fileE("dir/d", "d"),
			dirE("dir/sub"), fileE("dir/sub/.wh..wh..opq", ""), fileE("dir/sub/c2", "c2"),
		), gzipped, false),
	}
}

// truncatedLayer is a gzip stream cut in the middle: its digest is the cut
// blob's (so it downloads fine), its diffID the whole tar's.
func truncatedLayer() *rawLayer {
	var body strings.Builder
	for i := 0; body.Len() < 256<<10; i++ {
		fmt.Fprintf(&body, "line %d of a file that will not arrive whole\n", i)
	}
	full := tarOf(dirE("data"), fileE("data/big", body.String()), fileE("data/after", "after"))
	gz := gzipBytes(full)
	cut := gz[:len(gz)/2]
	return &rawLayer{blob: cut, tar: full, digest: sha256Hash(cut), diffID: sha256Hash(full), media: types.DockerLayer}
}

// uniqueImage pushes a fresh image of the base plus a layer no other image
// has (compressed c), for a test that corrupts the registry's copy of that
// layer, of the config or of the manifest. Its command prints the layer's
// one file, /unique.
func uniqueImage(t *testing.T, repo string, c compression) pushed {
	t.Helper()
	s := testImages(t)
	var body strings.Builder
	for i := 0; body.Len() < 64<<10; i++ {
		fmt.Fprintf(&body, "%s %d %d\n", t.Name(), time.Now().UnixNano(), i)
	}
	img, err := newImage(v1.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"cat", "/unique"}}, "", false,
		newLayer(s.BaseTar, gzipped, false), newLayer(tarOf(fileE("unique", body.String())), c, false))
	if err != nil {
		t.Fatal(err)
	}
	p, err := pushImage(repo, "latest", img)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeDockerArchive writes img as `docker save` would, tagged tag.
func writeDockerArchive(t *testing.T, path, tag string, img v1.Image) {
	t.Helper()
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.Write(ref, img, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
}

// writeOCIArchive writes img as an OCI image layout in a tar, named
// refName by the org.opencontainers.image.ref.name annotation ("" for none).
func writeOCIArchive(t *testing.T, path, refName string, img v1.Image) {
	t.Helper()
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	var opts []layout.Option
	if refName != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": refName}))
	}
	if err := lp.AppendImage(img, opts...); err != nil {
		t.Fatal(err)
	}
	b, err := tarDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	writeRootFile(t, path, b)
}

// writeRootFile writes a file for the test user to read.
func writeRootFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
}
