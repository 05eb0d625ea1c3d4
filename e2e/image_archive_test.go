package e2e

// Images without a registry: nook load of `docker save` and OCI-layout
// tarballs, nook save of both, nook import of a rootfs tarball.

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// markedImage is the busybox base plus /etc/marker holding marker; its
// command prints it.
func markedImage(t *testing.T, marker string, oci bool) v1.Image {
	t.Helper()
	s := testImages(t)
	img, err := newImage(v1.Config{Env: []string{"PATH=/usr/bin:/bin"}, Cmd: []string{"cat", "/etc/marker"}}, "", oci,
		newLayer(s.BaseTar, gzipped, oci), newLayer(tarOf(dirE("etc"), fileE("etc/marker", marker+"\n")), gzipped, oci))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// loadedRE matches what nook load reports, as docker does: "Loaded image:
// NAME", or "Loaded image ID: sha256:..." for an image without a name.
var loadedRE = regexp.MustCompile(`(?m)^Loaded image(?: ID)?: (\S+)$`)

// load runs nook load -i file and returns the names it reports loading.
func (e *imageEnv) load(file string) []string {
	e.t.Helper()
	r := e.ok("load", "-i", file)
	var names []string
	for _, m := range loadedRE.FindAllStringSubmatch(r.Stdout, -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		e.t.Fatalf("nook load -i %s: no \"Loaded image: NAME\" line:\n%s", file, r)
	}
	return names
}

func diffIDs(t *testing.T, img v1.Image) []string {
	t.Helper()
	p, err := describe("", "", img)
	if err != nil {
		t.Fatal(err)
	}
	return p.DiffIDs
}

func TestImageLoadDockerArchive(t *testing.T) {
	e := newImageEnv(t)
	img := markedImage(t, "docker-archive", false)
	file := filepath.Join(userTempDir(t), "docker.tar")
	writeDockerArchive(t, file, "example.com/load/docker:v1", img)

	names := e.load(file)
	if !slices.Contains(names, "example.com/load/docker:v1") {
		t.Errorf("nook load: loaded %q, want example.com/load/docker:v1", names)
	}
	if got := e.runImage("example.com/load/docker:v1"); got != "docker-archive\n" {
		t.Errorf("run of the loaded image: %q", got)
	}
	in := e.inspect("example.com/load/docker:v1")
	if !slices.Equal(in.RootFS.Layers, diffIDs(t, img)) {
		t.Errorf("inspect RootFS.Layers %q, want %q", in.RootFS.Layers, diffIDs(t, img))
	}
	// Loading again changes nothing and still says what it loaded.
	before := storeSnapshot(t, e.store)
	e.load(file)
	if len(e.images()) != 1 {
		t.Errorf("a second load made a second image: %+v", e.images())
	}
	wantSameTree(t, "store layers after a second load", filterPrefix(before, "layers/"), filterPrefix(storeSnapshot(t, e.store), "layers/"))
}

func filterPrefix(m map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

func TestImageLoadOCIArchive(t *testing.T) {
	img := markedImage(t, "oci-archive", true)
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	dir := userTempDir(t)

	t.Run("named", func(t *testing.T) {
		e := newImageEnv(t)
		file := filepath.Join(dir, "oci-named.tar")
		writeOCIArchive(t, file, "example.com/load/oci:v1", img)
		names := e.load(file)
		if got := e.runImage(names[0]); got != "oci-archive\n" {
			t.Errorf("run %s: %q", names[0], got)
		}
		if !strings.Contains(names[0], "load/oci") && !strings.Contains(names[0], "v1") {
			t.Errorf("nook load named it %q, want after example.com/load/oci:v1", names[0])
		}
		imgs := e.images()
		if len(imgs) != 1 || imgs[0].Digest != digest.String() {
			t.Errorf("nook images: %+v, want the layout's manifest %s", imgs, digest)
		}
	})
	t.Run("unnamed", func(t *testing.T) {
		e := newImageEnv(t)
		file := filepath.Join(dir, "oci-unnamed.tar")
		writeOCIArchive(t, file, "", img)
		names := e.load(file)
		if !strings.Contains(names[0], digest.Hex[:12]) {
			t.Errorf("nook load of an unnamed image: %q, want it named by its digest %s", names[0], digest)
		}
		if got := e.runImage(digest.Hex[:12]); got != "oci-archive\n" {
			t.Errorf("run by ID: %q", got)
		}
	})
}

func TestImageLoadBadArchives(t *testing.T) {
	s := testImages(t)
	dir := userTempDir(t)
	garbage := filepath.Join(dir, "garbage.tar")
	writeRootFile(t, garbage, []byte(strings.Repeat("not a tarball ", 100)))
	rootfsTar := filepath.Join(dir, "rootfs.tar")
	writeRootFile(t, rootfsTar, s.BaseTar)
	hostile := filepath.Join(dir, "hostile.tar")
	writeDockerArchive(t, hostile, "example.com/load/hostile:v1", s.DotDot.Image)
	hostileOCI := filepath.Join(dir, "hostile-oci.tar")
	writeOCIArchive(t, hostileOCI, "example.com/load/hostile-oci:v1", s.Symlink.Image)

	for _, tc := range []struct {
		file  string
		all   []string
		anyOf []string
	}{
		{garbage, nil, []string{"tar", "archive", "not"}},
		{rootfsTar, nil, []string{"manifest", "index.json", "not", "import"}},
		{filepath.Join(dir, "missing.tar"), []string{"missing.tar"}, []string{"no such file"}},
		{hostile, []string{short(s.DotDot.Layers[0]), "../../escape"}, []string{"leaves", "unsafe"}},
		{hostileOCI, []string{short(s.Symlink.Layers[0]), "link/escape-symlink"}, []string{"symlink", "unsafe"}},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			e := newImageEnv(t)
			sentinel := treeState(t, e.sentinel)
			r := e.nook("load", "-i", tc.file)
			wantPullError(t, r, 1, tc.all, tc.anyOf)
			e.wantNoImages()
			wantNoEscapes(t)
			wantSameTree(t, "the directory next to the store", sentinel, treeState(t, e.sentinel))
		})
	}
}

// untar extracts a tarball of plain files and directories (what nook save
// writes) into dir.
func untar(t *testing.T, file, dir string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: unexpected entry %q of type %c", file, h.Name, h.Typeflag)
		}
	}
}

func TestImageSaveLoadRoundTrip(t *testing.T) {
	s := testImages(t)
	p := s.Config
	ref := p.Ref(t)
	src := newImageEnv(t)
	src.pull(ref)
	out := userTempDir(t)

	t.Run("docker-archive", func(t *testing.T) {
		file := filepath.Join(out, "docker.tar")
		src.ok("save", "-o", file, ref)
		if uid, _ := hostOwner(t, file); uid != env.uid {
			t.Errorf("the archive is owned by %d, want the user", uid)
		}
		img, err := tarball.ImageFromPath(file, nil)
		if err != nil {
			t.Fatalf("not a docker-save archive: %v", err)
		}
		if c, err := img.ConfigName(); err != nil || c.String() != p.Config {
			t.Errorf("saved config %v (%v), want %s", c, err, p.Config)
		}
		if got := diffIDs(t, img); !slices.Equal(got, p.DiffIDs) {
			t.Errorf("saved layers %q, want %q", got, p.DiffIDs)
		}
		dst := newImageEnv(t)
		if names := dst.load(file); !slices.Contains(names, ref) {
			t.Errorf("load of the saved image: %q, want %s", names, ref)
		}
		if got := dst.runImage(ref); got != "entry cmd-default\n" {
			t.Errorf("run of the reloaded image: %q", got)
		}
		if in := dst.inspect(ref); in.Config.WorkingDir != "/work" || in.Config.User != "1000:1000" {
			t.Errorf("the reloaded config: %+v", in.Config)
		}
	})
	t.Run("oci-archive", func(t *testing.T) {
		file := filepath.Join(out, "oci.tar")
		src.ok("save", "--format", "oci-archive", "-o", file, ref)
		dir := t.TempDir()
		untar(t, file, dir)
		idx, err := layout.ImageIndexFromPath(dir)
		if err != nil {
			t.Fatalf("not an OCI layout: %v", err)
		}
		im, err := idx.IndexManifest()
		if err != nil || len(im.Manifests) != 1 {
			t.Fatalf("index.json: %v %+v, want one manifest", err, im)
		}
		if got := im.Manifests[0].Digest.String(); got != p.Digest {
			t.Errorf("saved manifest %s, want the pulled %s", got, p.Digest)
		}
		img, err := idx.Image(im.Manifests[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got := diffIDs(t, img); !slices.Equal(got, p.DiffIDs) {
			t.Errorf("saved layers %q, want %q", got, p.DiffIDs)
		}
		dst := newImageEnv(t)
		names := dst.load(file)
		if got := dst.runImage(names[0]); got != "entry cmd-default\n" {
			t.Errorf("run of the reloaded image %s: %q", names[0], got)
		}
		if imgs := dst.images(); len(imgs) != 1 || imgs[0].Digest != p.Digest {
			t.Errorf("the reloaded image: %+v, want digest %s", imgs, p.Digest)
		}
	})
	t.Run("errors", func(t *testing.T) {
		r := src.nook("save", "-o", filepath.Join(out, "x.tar"), registryAddr(t)+"/test/nothing:here")
		wantPullError(t, r, 1, nil, []string{"not in the store", "not found", "no such"})
		r = src.nook("save", "--format", "zip", "-o", filepath.Join(out, "x.tar"), ref)
		if r.Code == 0 || !strings.Contains(r.Stderr, "zip") {
			t.Errorf("save --format zip: want an error naming it, got %v", r)
		}
		if _, err := os.Lstat(filepath.Join(out, "x.tar")); err == nil {
			t.Errorf("a failed save left its output file")
		}
	})
}

func TestImageImport(t *testing.T) {
	s := testImages(t)
	dir := userTempDir(t)
	plain := filepath.Join(dir, "rootfs.tar")
	writeRootFile(t, plain, s.BaseTar)
	gz := filepath.Join(dir, "rootfs.tar.gz")
	writeRootFile(t, gz, gzipBytes(s.BaseTar))
	want := sha256Hash(s.BaseTar).String()

	for _, file := range []string{plain, gz} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			e := newImageEnv(t)
			e.ok("import", file, "imported/rootfs:v1")
			if got := e.runImage("imported/rootfs:v1", "sh", "-c", "echo imported; id -u"); got != "imported\n0\n" {
				t.Errorf("run of the imported image: %q", got)
			}
			in := e.inspect("imported/rootfs:v1")
			if !slices.Equal(in.RootFS.Layers, []string{want}) {
				t.Errorf("inspect RootFS.Layers %q, want the tarball's one %s", in.RootFS.Layers, want)
			}
			if in.Architecture != "amd64" || in.Os != "linux" {
				t.Errorf("imported platform %s/%s", in.Os, in.Architecture)
			}
			if imgs := e.images(); len(imgs) != 1 {
				t.Errorf("nook images: %+v", imgs)
			}
		})
	}
	e := newImageEnv(t)
	r := e.nook("import", filepath.Join(dir, "missing.tar"), "x:y")
	wantPullError(t, r, 1, []string{"missing.tar"}, nil)
	r = e.nook("import", plain, "Bad::Name")
	wantPullError(t, r, 1, nil, []string{"invalid", "reference"})
	e.wantNoImages()
}
