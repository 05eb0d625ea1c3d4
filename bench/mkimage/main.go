// Command mkimage builds the pull benchmark's image and pushes it to a
// registry over plain HTTP: mkimage [-busybox PATH] HOST:PORT/REPO:TAG.
//
// The image (Docker schema 2 manifest, gzip layers) is six layers, ≈100 MB
// compressed, the same bytes on every run (a seeded generator):
//
//  1. base    a busybox-static rootfs: /bin/busybox, its applets as
//     symlinks, /etc/passwd and group, the usual empty directories
//  2. blob    one 40 MiB incompressible file
//  3. libs    400 incompressible files of 64 KiB in 20 directories
//  4. text    64 MiB of compressible text in 16 files
//  5. small   6000 small text files (0.5-6 KiB) in 100 directories
//  6. top     a whiteout of one file of layer 5, an opaque directory, a
//     hard link and a config file: the paths an unpacker must get right
//
// It needs nothing but the standard library, so it builds whatever the
// module's dependencies are at the time: the push is the registry API's
// monolithic upload (POST, then PUT ?digest=), which every registry takes.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"
)

const (
	mediaManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaConfig   = "application/vnd.docker.container.image.v1+json"
	mediaLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// epoch is every entry's mtime: the layers are reproducible.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type layer struct {
	name   string
	gz     []byte
	digest string // of gz
	diffID string // of the tar
	size   int64  // of the tar
}

// builder writes one layer's tar, gzip'd, hashing both streams.
type builder struct {
	tw    *tar.Writer
	gzw   *gzip.Writer
	out   bytes.Buffer
	diff  hashCounter
	dirs  map[string]bool
	files int
}

type hashCounter struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

func newBuilder() *builder {
	b := &builder{dirs: map[string]bool{}}
	b.diff.h = sha256.New()
	b.gzw, _ = gzip.NewWriterLevel(&b.out, gzip.DefaultCompression)
	b.tw = tar.NewWriter(io.MultiWriter(b.gzw, &b.diff))
	return b
}

func (b *builder) hdr(h *tar.Header) {
	h.ModTime = epoch
	h.Format = tar.FormatPAX
	if err := b.tw.WriteHeader(h); err != nil {
		fail(err)
	}
}

// dir adds name and any missing parents.
func (b *builder) dir(name string, mode int64) {
	name = strings.Trim(name, "/")
	if name == "" || name == "." || b.dirs[name] {
		return
	}
	b.dir(path.Dir(name), 0o755)
	b.dirs[name] = true
	b.hdr(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode})
}

func (b *builder) file(name string, mode int64, data []byte) {
	b.dir(path.Dir(name), 0o755)
	b.hdr(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))})
	if _, err := b.tw.Write(data); err != nil {
		fail(err)
	}
	b.files++
}

func (b *builder) symlink(name, target string) {
	b.dir(path.Dir(name), 0o755)
	b.hdr(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777})
}

func (b *builder) link(name, target string) {
	b.dir(path.Dir(name), 0o755)
	b.hdr(&tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644})
}

func (b *builder) finish(name string) layer {
	if err := b.tw.Close(); err != nil {
		fail(err)
	}
	if err := b.gzw.Close(); err != nil {
		fail(err)
	}
	gz := b.out.Bytes()
	d := sha256.Sum256(gz)
	return layer{
		name:   name,
		gz:     gz,
		digest: "sha256:" + hex.EncodeToString(d[:]),
		diffID: "sha256:" + hex.EncodeToString(b.diff.h.Sum(nil)),
		size:   b.diff.n,
	}
}

func random(r *rand.ChaCha8, n int) []byte {
	p := make([]byte, n)
	_, _ = r.Read(p)
	return p
}

// words is the vocabulary of the compressible files: gzip takes such text
// to about a third, as it does source code and manuals.
var words = strings.Fields(`the of and to in is that for it as with was on be by this are
from or at an which have not has but were their can all one its also more other been
image layer container registry manifest digest blob config runtime mount overlay
namespace user group kernel process signal socket network route address buffer
stream header reader writer error value return func package import struct type
interface string byte int uint map slice channel select default case switch break
continue goto defer go if else for range var const true false nil len cap make new
append copy delete panic recover print println complex real imag close`)

func text(r *rand.Rand, n int) []byte {
	var buf bytes.Buffer
	buf.Grow(n + 64)
	col := 0
	for buf.Len() < n {
		w := words[r.IntN(len(words))]
		if r.IntN(9) == 0 {
			fmt.Fprintf(&buf, "%d", r.IntN(100000))
			col += 5
		}
		buf.WriteString(w)
		col += len(w)
		if col > 72 {
			buf.WriteByte('\n')
			col = 0
		} else {
			buf.WriteByte(' ')
		}
	}
	return buf.Bytes()[:n]
}

func baseLayer(busybox string) layer {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		fail(err)
	}
	out, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		fail(fmt.Errorf("%s --list-full: %w (a busybox-static is needed)", busybox, err))
	}
	b := newBuilder()
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home", "var/tmp", "run", "proc", "sys", "dev"} {
		b.dir(d, 0o755)
	}
	b.dir("tmp", 0o1777)
	b.file("bin/busybox", 0o755, bin)
	applets := strings.Fields(string(out))
	sort.Strings(applets)
	for _, a := range applets {
		if a == "bin/busybox" {
			continue
		}
		b.symlink(a, "/bin/busybox")
	}
	b.file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"))
	b.file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n"))
	b.file("etc/hostname", 0o644, []byte("bench\n"))
	b.symlink("etc/resolv.conf", "../run/resolv.conf")
	return b.finish("base")
}

func buildLayers(busybox string) []layer {
	c := rand.NewChaCha8([32]byte{'n', 'o', 'o', 'k'})
	r := rand.New(c)
	var ls []layer

	ls = append(ls, baseLayer(busybox))

	b := newBuilder()
	b.file("opt/blob/data.bin", 0o644, random(c, 40<<20))
	ls = append(ls, b.finish("blob"))

	b = newBuilder()
	for i := range 400 {
		b.file(fmt.Sprintf("opt/libs/d%02d/lib%03d.so", i%20, i), 0o755, random(c, 64<<10))
	}
	ls = append(ls, b.finish("libs"))

	b = newBuilder()
	for i := range 16 {
		b.file(fmt.Sprintf("usr/share/doc/bench/manual-%02d.txt", i), 0o644, text(r, 4<<20))
	}
	ls = append(ls, b.finish("text"))

	b = newBuilder()
	for i := range 6000 {
		b.file(fmt.Sprintf("usr/lib/bench/pkg%02d/mod%04d.txt", i%100, i), 0o644, text(r, 512+r.IntN(5632)))
	}
	ls = append(ls, b.finish("small"))

	b = newBuilder()
	b.file("usr/lib/bench/pkg00/.wh.mod0000.txt", 0o644, nil)
	b.dir("usr/lib/bench/pkg01", 0o755)
	b.file("usr/lib/bench/pkg01/.wh..wh..opq", 0o644, nil)
	b.file("usr/lib/bench/pkg01/only.txt", 0o644, []byte("replaced\n"))
	b.file("etc/bench.conf", 0o644, []byte("layers = 6\n"))
	b.link("etc/bench.conf.link", "etc/bench.conf")
	ls = append(ls, b.finish("top"))
	return ls
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	Digest    string `json:"digest"`
}

func sha(p []byte) string {
	d := sha256.Sum256(p)
	return "sha256:" + hex.EncodeToString(d[:])
}

type registry struct {
	base string // http://host:port/v2/repo
	c    *http.Client
}

func (g *registry) do(req *http.Request, want int) (*http.Response, error) {
	resp, err := g.c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL, resp.Status, strings.TrimSpace(string(body)))
	}
	return resp, nil
}

func (g *registry) pushBlob(digest string, data []byte) error {
	head, _ := http.NewRequest(http.MethodHead, g.base+"/blobs/"+digest, nil)
	if resp, err := g.c.Do(head); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	post, _ := http.NewRequest(http.MethodPost, g.base+"/blobs/uploads/", nil)
	resp, err := g.do(post, http.StatusAccepted)
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("upload location: %w", err)
	}
	q := loc.Query()
	q.Set("digest", digest)
	loc.RawQuery = q.Encode()
	put, _ := http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(data))
	put.Header.Set("Content-Type", "application/octet-stream")
	resp, err = g.do(put, http.StatusCreated)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func (g *registry) pushManifest(tag string, data []byte) error {
	put, _ := http.NewRequest(http.MethodPut, g.base+"/manifests/"+tag, bytes.NewReader(data))
	put.Header.Set("Content-Type", mediaManifest)
	resp, err := g.do(put, http.StatusCreated)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// parseRef splits HOST:PORT/REPO:TAG.
func parseRef(ref string) (host, repo, tag string, err error) {
	host, rest, ok := strings.Cut(ref, "/")
	if !ok || rest == "" {
		return "", "", "", errors.New("want HOST:PORT/REPO:TAG")
	}
	repo, tag = rest, "latest"
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		repo, tag = rest[:i], rest[i+1:]
	}
	return host, repo, tag, nil
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "mkimage: %v\n", err)
	os.Exit(1)
}

func main() {
	busybox := flag.String("busybox", "/bin/busybox", "a static busybox for the base layer")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkimage [-busybox PATH] HOST:PORT/REPO:TAG")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	host, repo, tag, err := parseRef(flag.Arg(0))
	if err != nil {
		fail(err)
	}

	ls := buildLayers(*busybox)

	var diffIDs []string
	var history []map[string]string
	for _, l := range ls {
		diffIDs = append(diffIDs, l.diffID)
		history = append(history, map[string]string{"created": epoch.Format(time.RFC3339), "created_by": "mkimage: " + l.name})
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config": map[string]any{
			"Env":        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Cmd":        []string{"/bin/sh"},
			"WorkingDir": "/",
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history": history,
	})
	if err != nil {
		fail(err)
	}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        descriptor{mediaConfig, int64(len(config)), sha(config)},
	}
	var layers []descriptor
	for _, l := range ls {
		layers = append(layers, descriptor{mediaLayer, int64(len(l.gz)), l.digest})
	}
	manifest["layers"] = layers
	mdata, err := json.MarshalIndent(manifest, "", "   ")
	if err != nil {
		fail(err)
	}

	g := &registry{
		base: (&url.URL{Scheme: "http", Host: host, Path: "/v2/" + repo}).String(),
		c:    &http.Client{Timeout: 5 * time.Minute},
	}
	var total, totalTar int64
	for _, l := range ls {
		if err := g.pushBlob(l.digest, l.gz); err != nil {
			fail(fmt.Errorf("layer %s: %w", l.name, err))
		}
		total += int64(len(l.gz))
		totalTar += l.size
		fmt.Printf("  layer %-6s %7.1f MB gzip  %7.1f MB tar  %s\n", l.name, float64(len(l.gz))/1e6, float64(l.size)/1e6, l.digest[:19])
	}
	if err := g.pushBlob(sha(config), config); err != nil {
		fail(fmt.Errorf("config: %w", err))
	}
	if err := g.pushManifest(tag, mdata); err != nil {
		fail(fmt.Errorf("manifest: %w", err))
	}
	fmt.Printf("  pushed %s: %d layers, %.1f MB gzip, %.1f MB tar, manifest %s\n",
		flag.Arg(0), len(ls), float64(total)/1e6, float64(totalTar)/1e6, sha(mdata))
}
