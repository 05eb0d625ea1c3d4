package e2e

// Images end to end, as a user works with them: nook pull from a real
// registry (registry_harness_test.go) of images the tests build
// (image_build_test.go), then images, inspect, run, tag, rmi, prune.

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// imageEnv is one test's image store: XDG_DATA_HOME in a fresh directory of
// the test user's, so the store is $XDG_DATA_HOME/nook.
type imageEnv struct {
	t        *testing.T
	data     string // XDG_DATA_HOME
	store    string // data/nook
	sentinel string // data/sentinel: a directory next to the store nook must leave alone
}

func newImageEnv(t *testing.T) *imageEnv {
	t.Helper()
	data := userTempDir(t)
	e := &imageEnv{t: t, data: data, store: filepath.Join(data, "nook"), sentinel: filepath.Join(data, "sentinel")}
	mkUserDir(t, e.sentinel)
	writeUserFile(t, filepath.Join(e.sentinel, "keep"), "sentinel\n")
	return e
}

// cmd is nook as the test user with this store.
func (e *imageEnv) cmd(args ...string) *exec.Cmd {
	e.t.Helper()
	cmd := nookCmd(e.t, args...)
	cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+e.data)
	return cmd
}

func (e *imageEnv) nook(args ...string) result {
	e.t.Helper()
	return run(e.t, e.cmd(args...))
}

// ok runs nook and fails the test unless it exits 0.
func (e *imageEnv) ok(args ...string) result {
	e.t.Helper()
	r := e.nook(args...)
	if r.Code != 0 || r.Signal != 0 {
		e.t.Fatalf("nook %s: want exit 0, got %v", strings.Join(args, " "), r)
	}
	return r
}

func (e *imageEnv) pull(ref string, flags ...string) result {
	e.t.Helper()
	return e.ok(append(append([]string{"pull"}, flags...), ref)...)
}

// runImage runs nook run --rm with args and fails unless it exits 0.
func (e *imageEnv) runImage(args ...string) string {
	e.t.Helper()
	return e.ok(append([]string{"run", "--rm"}, args...)...).Stdout
}

// imageJSON is one entry of nook images --format json.
type imageJSON struct {
	ID         string
	Names      []string
	Repository string
	Tag        string
	Digest     string
	Config     string
	Created    any
	Size       any
	Platform   string
}

func (e *imageEnv) images() []imageJSON {
	e.t.Helper()
	r := e.ok("images", "--format", "json")
	var out []imageJSON
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		e.t.Fatalf("nook images --format json: %v\n%s", err, r.Stdout)
	}
	return out
}

// inspectJSON is nook image inspect's one object.
type inspectJSON struct {
	Id           string
	RepoTags     []string
	RepoDigests  []string
	Created      any
	Architecture string
	Os           string
	Config       struct {
		Entrypoint   []string
		Cmd          []string
		Env          []string
		WorkingDir   string
		User         string
		ExposedPorts map[string]any
		Labels       map[string]string
		StopSignal   string
	}
	RootFS struct {
		Type   string
		Layers []string
	}
	Size any
}

func (e *imageEnv) inspect(ref string) inspectJSON {
	e.t.Helper()
	r := e.ok("image", "inspect", ref)
	var out []inspectJSON
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || len(out) != 1 {
		e.t.Fatalf("nook image inspect %s: want a JSON array of one object: %v\n%s", ref, err, r.Stdout)
	}
	return out[0]
}

// entries lists the names in a directory of the store ("layers", "tmp",
// "blobs/sha256"), sorted; none if it does not exist.
func (e *imageEnv) entries(sub string) []string {
	e.t.Helper()
	des, err := os.ReadDir(filepath.Join(e.store, sub))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

// layerDirs lists the chain IDs (hex) of the unpacked layers.
func (e *imageEnv) layerDirs() []string {
	e.t.Helper()
	var dirs []string
	for _, n := range e.entries("layers") {
		if fi, err := os.Stat(filepath.Join(e.store, "layers", n)); err == nil && fi.IsDir() {
			dirs = append(dirs, n)
		}
	}
	return dirs
}

// wantNoImages fails unless nook images lists nothing.
func (e *imageEnv) wantNoImages() {
	e.t.Helper()
	if imgs := e.images(); len(imgs) != 0 {
		e.t.Errorf("nook images lists %d images, want none: %+v", len(imgs), imgs)
	}
	r := e.ok("images", "-q")
	if strings.TrimSpace(r.Stdout) != "" {
		e.t.Errorf("nook images -q: %q, want nothing", r.Stdout)
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func hexOf(d string) string { return strings.TrimPrefix(d, "sha256:") }

// The round trip: pull, list, inspect, run, rmi.
func TestImagePullRunRmi(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := s.Busybox
	ref := p.Ref(t)

	r := e.pull(ref)
	out := r.Stdout + r.Stderr
	if !strings.Contains(out, hexOf(p.Layers[0])[:12]) {
		t.Errorf("nook pull does not mention the layer %s:\n%s", p.Layers[0], out)
	}
	last := lines(strings.TrimSpace(r.Stdout))
	if len(last) == 0 || !strings.Contains(last[len(last)-1], p.Digest) || !strings.Contains(last[len(last)-1], p.Repo) {
		t.Errorf("nook pull's last line should name %s and %s:\n%s", ref, p.Digest, r)
	}
	if len(lines(out)) < 2 {
		t.Errorf("nook pull (not a terminal): want a line per layer and a final line, got:\n%s", out)
	}

	imgs := e.images()
	if len(imgs) != 1 {
		t.Fatalf("nook images: %d images, want 1: %+v", len(imgs), imgs)
	}
	img := imgs[0]
	if img.ID != hexOf(p.Digest) || img.Digest != p.Digest || img.Config != p.Config ||
		img.Repository != registryAddr(t)+"/"+p.Repo || img.Tag != "latest" || img.Platform != "linux/amd64" ||
		!slices.Contains(img.Names, ref) {
		t.Errorf("nook images --format json: %+v\nwant ID %s, Digest %s, Config %s, Names [%s], linux/amd64", img, hexOf(p.Digest), p.Digest, p.Config, ref)
	}
	table := e.ok("images").Stdout
	rows := lines(table)
	if len(rows) != 2 {
		t.Fatalf("nook images: want a header and one row:\n%s", table)
	}
	for _, h := range []string{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"} {
		if !strings.Contains(rows[0], h) {
			t.Errorf("nook images header %q lacks %s", rows[0], h)
		}
	}
	if f := strings.Fields(rows[1]); len(f) < 3 || f[0] != registryAddr(t)+"/"+p.Repo || f[1] != "latest" || f[2] != p.ID() {
		t.Errorf("nook images row %q, want %s latest %s ...", rows[1], registryAddr(t)+"/"+p.Repo, p.ID())
	}
	if q := e.ok("images", "-q").Stdout; strings.TrimSpace(q) != p.ID() {
		t.Errorf("nook images -q = %q, want %s", q, p.ID())
	}
	if d := e.ok("images", "--digests").Stdout; !strings.Contains(d, p.Digest) {
		t.Errorf("nook images --digests does not show %s:\n%s", p.Digest, d)
	}

	in := e.inspect(ref)
	if !strings.Contains(in.Id, hexOf(p.Digest)) && !strings.Contains(in.Id, hexOf(p.Config)) {
		t.Errorf("inspect Id %q names neither the manifest nor the config", in.Id)
	}
	if !slices.Contains(in.RepoTags, ref) || !slices.Contains(in.RepoDigests, registryAddr(t)+"/"+p.Repo+"@"+p.Digest) {
		t.Errorf("inspect RepoTags %q RepoDigests %q", in.RepoTags, in.RepoDigests)
	}
	if !slices.Equal(in.RootFS.Layers, p.DiffIDs) || in.RootFS.Type != "layers" {
		t.Errorf("inspect RootFS %+v, want layers %q", in.RootFS, p.DiffIDs)
	}
	if !slices.Equal(e.layerDirs(), p.ChainIDs) {
		t.Errorf("layers/ holds %q, want %q", e.layerDirs(), p.ChainIDs)
	}
	for _, b := range []string{p.Digest, p.Config, p.Layers[0]} {
		if !slices.Contains(e.entries("blobs/sha256"), hexOf(b)) {
			t.Errorf("blobs/sha256 lacks %s: %q", b, e.entries("blobs/sha256"))
		}
	}

	// By tag, digest, ID and the ID's prefix.
	if got := e.runImage(ref); got != "hello from busybox\n" {
		t.Errorf("run %s = %q, want the image's Cmd", ref, got)
	}
	for _, name := range []string{p.DigestRef(t), p.ID(), hexOf(p.Digest)} {
		if got := e.runImage(name, "cat", "/etc/hostname", "/etc/passwd"); !strings.Contains(got, "root:x:0:0") {
			t.Errorf("run %s cat /etc/passwd = %q", name, got)
		}
	}
	if got := e.runImage(ref, "probe", "exit", "0"); got != "" {
		t.Errorf("run probe: %q", got)
	}
	r = e.nook("run", "--rm", ref, "sh", "-c", "exit 7")
	wantCode(t, r, 7)

	e.ok("rmi", ref)
	e.wantNoImages()
	if l := e.layerDirs(); len(l) != 0 {
		t.Errorf("after rmi, layers/ still holds %q", l)
	}
	r = e.nook("run", "--rm", "--pull=never", ref, "true")
	if r.Code == 0 {
		t.Errorf("run --pull=never of a removed image succeeded: %v", r)
	}
	r = e.nook("rmi", ref)
	wantOneLine(t, r, 1)
	if tmp := e.entries("tmp"); len(tmp) != 0 {
		t.Errorf("tmp/ holds %q", tmp)
	}
}

// nook run pulls a missing image itself, and --pull says when.
func TestImageRunPullPolicy(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := newRegistryProxy(t)
	ref := p.Ref(s.Busybox.Repo + ":latest")

	r := e.nook("run", "--rm", "--pull=never", ref, "true")
	wantOneLine(t, r, 125)
	if len(e.images()) != 0 {
		t.Errorf("run --pull=never pulled")
	}
	if got := e.runImage(ref, "echo", "pulled"); !strings.HasSuffix(got, "pulled\n") {
		t.Errorf("run of a missing image: %q", got)
	}
	if n := len(e.images()); n != 1 {
		t.Errorf("after run --pull=missing: %d images, want 1", n)
	}
	blobs := p.BlobGets(s.Busybox.Layers[0])
	manifests := p.manifestRequests.Load()
	if got := e.runImage("--pull=missing", ref, "echo", "again"); got != "again\n" {
		t.Errorf("second run: %q", got)
	}
	if p.manifestRequests.Load() != manifests {
		t.Errorf("run --pull=missing of a present image asked the registry")
	}
	if got := e.runImage("--pull=always", ref, "echo", "always"); got != "always\n" {
		t.Errorf("run --pull=always: %q", got)
	}
	if p.manifestRequests.Load() == manifests {
		t.Errorf("run --pull=always did not ask the registry")
	}
	if p.BlobGets(s.Busybox.Layers[0]) != blobs {
		t.Errorf("run --pull=always downloaded the layer again")
	}
	r = e.nook("run", "--rm", "--pull=sometimes", ref, "true")
	if r.Code == 0 || !strings.Contains(r.Stderr, "sometimes") {
		t.Errorf("run --pull=sometimes: want a usage error naming it, got %v", r)
	}
}

// The image's config is what a container starts with, and flags override it.
func TestImageConfigHonoured(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := s.Config
	ref := p.Ref(t)
	if r := e.pull(ref, "-q"); r.Stdout != p.Digest+"\n" || r.Stderr != "" {
		t.Errorf("pull -q: want only the digest %s, got %v", p.Digest, r)
	}

	if got := e.runImage(ref); got != "entry cmd-default\n" {
		t.Errorf("Entrypoint + Cmd: %q, want %q", got, "entry cmd-default\n")
	}
	if got := e.runImage(ref, "a", "b c"); got != "entry a b c\n" {
		t.Errorf("arguments replace Cmd: %q, want %q", got, "entry a b c\n")
	}
	script := `pwd; id -u; id -g; echo "$FOO|$SPACED|${EMPTY-unset}|$PATH"; cat here`
	want := "/work\n1000\n1000\nfrom-image|a b  c||/usr/bin:/bin\nin the working directory\n"
	if got := e.runImage("--entrypoint", "/bin/sh", ref, "-c", script); got != want {
		t.Errorf("WorkingDir, User, Env:\n%q\nwant\n%q", got, want)
	}
	// --entrypoint drops the image's Cmd too.
	if got := e.runImage("--entrypoint", "/bin/pwd", ref); got != "/work\n" {
		t.Errorf("--entrypoint without arguments: %q, want /work", got)
	}
	if got := e.runImage("-u", "0", "--entrypoint", "id", ref, "-u"); got != "0\n" {
		t.Errorf("-u 0 over the image's User: %q", got)
	}
	if got := e.runImage("-e", "FOO=flag", "--entrypoint", "/bin/sh", ref, "-c", `echo $FOO`); got != "flag\n" {
		t.Errorf("-e over the image's Env: %q", got)
	}
	if got := e.runImage("-w", "/tmp", "--entrypoint", "pwd", ref); got != "/tmp\n" {
		t.Errorf("-w over the image's WorkingDir: %q", got)
	}

	in := e.inspect(ref)
	c := in.Config
	if !slices.Equal(c.Entrypoint, []string{"/bin/echo", "entry"}) || !slices.Equal(c.Cmd, []string{"cmd-default"}) ||
		!slices.Equal(c.Env, []string{"PATH=/usr/bin:/bin", "FOO=from-image", "SPACED=a b  c", "EMPTY="}) ||
		c.WorkingDir != "/work" || c.User != "1000:1000" || c.StopSignal != "SIGUSR1" ||
		c.Labels["org.nook.test"] != "config" || c.Labels["maintainer"] != "e2e" || len(c.Labels) != 2 {
		t.Errorf("inspect Config: %+v", c)
	}
	var ports []string
	for k := range c.ExposedPorts {
		ports = append(ports, k)
	}
	if !slices.Equal(sortedCopy(ports), []string{"53/udp", "8080/tcp"}) {
		t.Errorf("inspect ExposedPorts %v", c.ExposedPorts)
	}
	if in.Architecture != "amd64" || in.Os != "linux" {
		t.Errorf("inspect: %s/%s", in.Os, in.Architecture)
	}
	if created, _ := in.Created.(string); !strings.HasPrefix(created, "2024-05-06T07:08:09") {
		t.Errorf("inspect Created %v, want 2024-05-06T07:08:09Z", in.Created)
	}
	if !slices.Equal(in.RootFS.Layers, p.DiffIDs) {
		t.Errorf("inspect RootFS.Layers %q, want %q", in.RootFS.Layers, p.DiffIDs)
	}
	r := e.nook("image", "inspect", registryAddr(t)+"/test/nothing:here")
	if strings.TrimSpace(r.Stdout) == "[]" {
		r.Stdout = "" // as docker prints
	}
	wantOneLine(t, r, 1, "test/nothing")
}

// An index: the host's platform by default, another with --platform.
func TestImageMultiArch(t *testing.T) {
	s := testImages(t)
	ref := s.Multi.Ref(t)

	e := newImageEnv(t)
	r := e.pull(ref, "-q")
	if got := strings.TrimSpace(r.Stdout); got != s.MultiAMD64.Digest && got != s.Multi.Digest {
		t.Errorf("pull -q of the index: %q, want %s (amd64's) or %s (the index's)", got, s.MultiAMD64.Digest, s.Multi.Digest)
	}
	if got := e.runImage(ref); got != "amd64\n" {
		t.Errorf("run of the index: %q, want the amd64 image's marker", got)
	}
	in := e.inspect(ref)
	if in.Architecture != "amd64" || !slices.Equal(in.RootFS.Layers, s.MultiAMD64.DiffIDs) {
		t.Errorf("inspect: %s, layers %q, want amd64's %q", in.Architecture, in.RootFS.Layers, s.MultiAMD64.DiffIDs)
	}
	if imgs := e.images(); len(imgs) != 1 || imgs[0].Digest != s.MultiAMD64.Digest || imgs[0].Platform != "linux/amd64" {
		t.Errorf("nook images: %+v, want the amd64 image %s", imgs, s.MultiAMD64.Digest)
	}

	arm := newImageEnv(t)
	r = arm.pull(ref, "-q", "--platform", "linux/arm64")
	if got := strings.TrimSpace(r.Stdout); got != s.MultiARM64.Digest && got != s.Multi.Digest {
		t.Errorf("pull -q --platform linux/arm64: %q, want %s (arm64's) or %s (the index's)", got, s.MultiARM64.Digest, s.Multi.Digest)
	}
	in = arm.inspect(ref)
	if in.Architecture != "arm64" || !slices.Equal(in.RootFS.Layers, s.MultiARM64.DiffIDs) {
		t.Errorf("inspect after --platform linux/arm64: %s, layers %q, want arm64's %q", in.Architecture, in.RootFS.Layers, s.MultiARM64.DiffIDs)
	}
	if imgs := arm.images(); len(imgs) != 1 || imgs[0].Digest != s.MultiARM64.Digest || imgs[0].Platform != "linux/arm64" {
		t.Errorf("nook images: %+v, want the arm64 image %s", imgs, s.MultiARM64.Digest)
	}

	// An index with no image for the host.
	none := newImageEnv(t)
	r = none.nook("pull", s.ARMOnly.Ref(t))
	wantOneLine(t, r, 1, "linux/amd64", "arm64", "--platform")
	none.wantNoImages()
	r = none.nook("pull", "--platform", "linux", ref)
	wantOneLine(t, r, 1, "platform")
}

// A second pull of an image the store has downloads nothing.
func TestPullSecondDownloadsNothing(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := newRegistryProxy(t)
	ref := p.Ref(s.Busybox.Repo + ":latest")
	e.pull(ref)
	sent := p.blobBytes.Load()
	if sent == 0 {
		t.Fatalf("first pull downloaded no blob through the proxy")
	}
	before := storeSnapshot(t, e.store)

	r := e.pull(ref)
	if n := p.blobBytes.Load() - sent; n != 0 {
		t.Errorf("second pull downloaded %d blob bytes", n)
	}
	out := strings.ToLower(r.Stdout + r.Stderr)
	if !strings.Contains(out, "up to date") && !strings.Contains(out, "already") {
		t.Errorf("second pull does not say the image is up to date:\n%s", r)
	}
	if !strings.Contains(r.Stdout, s.Busybox.Digest) {
		t.Errorf("second pull does not name the digest:\n%s", r)
	}
	after := storeSnapshot(t, e.store)
	for _, sub := range []string{"blobs", "layers"} {
		for k, v := range before {
			if strings.HasPrefix(k, sub+"/") && after[k] != v {
				t.Errorf("second pull changed %s: %s -> %s", k, v, after[k])
			}
		}
		for k := range after {
			if strings.HasPrefix(k, sub+"/") && before[k] == "" {
				t.Errorf("second pull added %s", k)
			}
		}
	}
	// By digest too.
	r = e.pull(p.Addr+"/"+s.Busybox.Repo+"@"+s.Busybox.Digest, "-q")
	if strings.TrimSpace(r.Stdout) != s.Busybox.Digest {
		t.Errorf("pull -q by digest: %q, want %s", r.Stdout, s.Busybox.Digest)
	}
	if n := p.blobBytes.Load() - sent; n != 0 {
		t.Errorf("pull by digest of a present image downloaded %d blob bytes", n)
	}
}

// storeSnapshot maps every path under the store (but tmp/, locks/) to its
// type, size, mode and modification time; unpacked layers only to the top
// two levels.
func storeSnapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "tmp" || rel == "locks" {
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		m[rel] = fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if d.IsDir() && strings.Count(rel, "/") >= 2 && strings.HasPrefix(rel, "layers/") {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Two images on one base layer share its unpacked directory.
func TestImageSharedBaseLayer(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := newRegistryProxy(t)
	a, b := p.Ref(s.SharedA.Repo+":latest"), p.Ref(s.SharedB.Repo+":latest")
	e.pull(a)
	e.pull(b)
	base := s.SharedA.ChainIDs[0]
	if base != s.SharedB.ChainIDs[0] {
		t.Fatal("test images: the shared base differs")
	}
	want := sortedCopy([]string{base, s.SharedA.ChainIDs[1], s.SharedB.ChainIDs[1]})
	if got := e.layerDirs(); !slices.Equal(got, want) {
		t.Errorf("layers/ holds %q, want %q (the base once)", got, want)
	}
	if n := p.BlobGets(s.SharedA.Layers[0]); n != 1 {
		t.Errorf("the shared base layer was downloaded %d times, want once", n)
	}
	if got := e.runImage(a); got != "a\n" {
		t.Errorf("run a: %q", got)
	}
	if got := e.runImage(b); got != "b\n" {
		t.Errorf("run b: %q", got)
	}
	e.ok("rmi", a)
	if got := e.layerDirs(); !slices.Equal(got, sortedCopy([]string{base, s.SharedB.ChainIDs[1]})) {
		t.Errorf("after rmi a, layers/ holds %q, want the base and b's", got)
	}
	if got := e.runImage(b); got != "b\n" {
		t.Errorf("run b after rmi a: %q", got)
	}
	e.ok("rmi", b)
	if got := e.layerDirs(); len(got) != 0 {
		t.Errorf("after rmi of both, layers/ holds %q", got)
	}
}

// Eight nook pull of one image at once, each its own process: all succeed,
// the store holds one good copy, and nothing is left in tmp/.
func TestPullConcurrent(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := newRegistryProxy(t)
	// Slow enough that the pulls overlap.
	p.Throttle(64<<10, 20*time.Millisecond)
	ref := p.Ref(s.Busybox.Repo + ":latest")
	const n = 8
	results := make(chan result, n)
	for i := 0; i < n; i++ {
		cmd := e.cmd("pull", "-q", ref)
		go func() {
			// run fails a hung command with t.Fatalf, which ends this
			// goroutine: the deferred send still reports it.
			r := result{Code: -1, Stderr: "(the command did not finish)"}
			defer func() { results <- r }()
			r = run(t, cmd)
		}()
	}
	for i := 0; i < n; i++ {
		r := <-results
		if r.Code != 0 || r.Signal != 0 {
			t.Errorf("one of %d concurrent pulls: %v", n, r)
		} else if strings.TrimSpace(r.Stdout) != s.Busybox.Digest {
			t.Errorf("pull -q: %q, want %s", r.Stdout, s.Busybox.Digest)
		}
	}
	if imgs := e.images(); len(imgs) != 1 || imgs[0].Digest != s.Busybox.Digest {
		t.Errorf("nook images: %+v, want the one image", imgs)
	}
	if got := e.layerDirs(); !slices.Equal(got, s.Busybox.ChainIDs) {
		t.Errorf("layers/ holds %q, want %q", got, s.Busybox.ChainIDs)
	}
	if got := e.entries("tmp"); len(got) != 0 {
		t.Errorf("tmp/ holds %q after the pulls", got)
	}
	wantBlobs := sortedCopy([]string{hexOf(s.Busybox.Digest), hexOf(s.Busybox.Config), hexOf(s.Busybox.Layers[0])})
	if got := e.entries("blobs/sha256"); !slices.Equal(got, wantBlobs) {
		t.Errorf("blobs/sha256 holds %q, want %q", got, wantBlobs)
	}
	if n := p.BlobGets(s.Busybox.Layers[0]); n != 1 {
		t.Errorf("%d concurrent pulls downloaded the layer %d times, want once", n, n)
	}
	if got := e.runImage(ref); got != "hello from busybox\n" {
		t.Errorf("run: %q", got)
	}
}

// A pull killed halfway through a layer leaves no image, and the next pull
// finishes it.
func TestPullKilledHalfway(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := newRegistryProxy(t)
	p.Throttle(32<<10, 50*time.Millisecond) // the base layer takes seconds
	ref := p.Ref(s.Busybox.Repo + ":latest")

	cmd := e.cmd("pull", ref)
	cmd.Stdout, cmd.Stderr = &strings.Builder{}, &strings.Builder{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a quarter of the layer downloaded", func() bool {
		return p.blobBytes.Load() > 250<<10
	})
	killGroup(cmd)
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the pull was not killed mid-download: %v\n%s%s", cmd.ProcessState, cmd.Stdout, cmd.Stderr)
	}

	e.wantNoImages()
	if got := e.layerDirs(); len(got) != 0 {
		t.Errorf("after the killed pull, layers/ holds %q", got)
	}
	for _, b := range e.entries("blobs/sha256") {
		if b == hexOf(s.Busybox.Layers[0]) {
			t.Errorf("the half-downloaded layer is in blobs/")
		}
	}

	t.Logf("killed after %d blob bytes; tmp/ holds %q", p.blobBytes.Load(), e.entries("tmp"))

	p.Pass()
	e.pull(ref)
	if got := e.runImage(ref); got != "hello from busybox\n" {
		t.Errorf("run after the repeated pull: %q", got)
	}
	// What the killed pull left in tmp/ is removed by the next nook once it
	// is older than the store's grace period.
	for _, n := range e.entries("tmp") {
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(filepath.Join(e.store, "tmp", n), old, old); err != nil {
			t.Fatal(err)
		}
	}
	e.ok("images")
	if got := e.entries("tmp"); len(got) != 0 {
		t.Errorf("tmp/ still holds %q", got)
	}
}

// Whiteouts and opaque directories: the container sees exactly the
// merged tree.
func TestImageWhiteouts(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Whiteout.Ref(t)
	r := e.pull(ref)
	out := r.Stdout + r.Stderr
	for _, l := range s.Whiteout.Layers {
		if strings.Count(out, short(l)) != 1 {
			t.Errorf("nook pull should give layer %s one line:\n%s", short(l), out)
		}
	}
	got := e.runImage(ref, "sh", "-c", "find /dir /opq | sort; test -e /gone && echo gone-present; cat /dir/b/inner /dir/sub/c2 /opq/new")
	want := strings.Join([]string{
		"/dir", "/dir/b", "/dir/b/inner", "/dir/d", "/dir/sub", "/dir/sub/c2",
		"/opq", "/opq/new",
	}, "\n") + "\ninnerc2new"
	if got != want {
		t.Errorf("merged tree:\n%s\nwant:\n%s", got, want)
	}
	// Every layer has its own directory, base first.
	if dirs := e.layerDirs(); !slices.Equal(dirs, sortedCopy(s.Whiteout.ChainIDs)) {
		t.Errorf("layers/ holds %q, want %q", dirs, s.Whiteout.ChainIDs)
	}
}

// Layers compressed with zstd, and not compressed at all.
func TestImageLayerCompression(t *testing.T) {
	s := testImages(t)
	for _, tc := range []struct {
		p    pushed
		want string
	}{{s.Zstd, "zstd\n"}, {s.Uncompressed, "uncompressed\n"}} {
		t.Run(tc.p.Repo, func(t *testing.T) {
			e := newImageEnv(t)
			e.pull(tc.p.Ref(t))
			if got := e.runImage(tc.p.Ref(t)); got != tc.want {
				t.Errorf("run: %q, want %q", got, tc.want)
			}
			if got := e.layerDirs(); !slices.Equal(got, sortedCopy(tc.p.ChainIDs)) {
				t.Errorf("layers/ holds %q, want %q", got, tc.p.ChainIDs)
			}
		})
	}
}

// Files a layer gives to 1000:1000 belong to the container's 1000 inside
// and to the matching subordinate id on the host.
func TestImageFileOwnership(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Owned.Ref(t)
	e.pull(ref)
	got := e.runImage(ref, "stat", "-c", "%n %u:%g %a", "/owned", "/owned/file", "/owned/rootfile", "/bin/busybox")
	want := "/owned 1000:1000 755\n/owned/file 1000:1000 640\n/owned/rootfile 0:0 644\n/bin/busybox 0:0 755\n"
	if got != want {
		t.Errorf("inside:\n%s\nwant:\n%s", got, want)
	}
	subUID, _ := subordinate(t, "/etc/subuid")
	subGID, _ := subordinate(t, "/etc/subgid")
	top := filepath.Join(e.store, "layers", s.Owned.ChainIDs[1])
	for _, tc := range []struct {
		path     string
		uid, gid int
	}{
		{"owned", subUID + 999, subGID + 999},
		{"owned/file", subUID + 999, subGID + 999},
		{"owned/rootfile", env.uid, env.gid},
	} {
		uid, gid := hostOwner(t, filepath.Join(top, tc.path))
		if uid != tc.uid || gid != tc.gid {
			t.Errorf("on the host, %s is owned by %d:%d, want %d:%d", tc.path, uid, gid, tc.uid, tc.gid)
		}
	}
	// The user can remove what it pulled, subordinate ids and all.
	e.ok("rmi", ref)
	if got := e.layerDirs(); len(got) != 0 {
		t.Errorf("after rmi, layers/ holds %q", got)
	}
}

// tag adds a name, rmi by name removes only it, by ID the image; prune
// removes untagged images, prune -a all that no container uses.
func TestImageTagRmiPrune(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	bb, a := s.Busybox.Ref(t), s.SharedA.Ref(t)
	e.pull(bb)
	e.pull(a)

	e.ok("tag", bb, "example.com/mine/box:v1")
	e.ok("tag", bb, "local-box")
	in := e.inspect("example.com/mine/box:v1")
	if !slices.Equal(in.RootFS.Layers, s.Busybox.DiffIDs) {
		t.Errorf("the tag names another image: %+v", in.RootFS)
	}
	if got := e.runImage("example.com/mine/box:v1"); got != "hello from busybox\n" {
		t.Errorf("run by the new tag: %q", got)
	}
	if got := e.runImage("local-box"); got != "hello from busybox\n" {
		t.Errorf("run by a short name: %q", got)
	}
	var names []string
	for _, img := range e.images() {
		if img.Digest == s.Busybox.Digest {
			names = append(names, img.Names...)
		}
	}
	for _, n := range []string{bb, "example.com/mine/box:v1"} {
		if !slices.Contains(names, n) {
			t.Errorf("nook images: busybox's names %q lack %s", names, n)
		}
	}
	q := lines(strings.TrimSpace(e.ok("images", "-q").Stdout))
	if n := strings.Count(strings.Join(q, "\n"), s.Busybox.ID()); n < 1 {
		t.Errorf("images -q %q lacks %s", q, s.Busybox.ID())
	}
	r := e.nook("tag", registryAddr(t)+"/test/nothing:here", "x")
	wantOneLine(t, r, 1)
	r = e.nook("tag", bb, "Bad::Name")
	wantOneLine(t, r, 1)

	e.ok("rmi", "example.com/mine/box:v1")
	if got := e.runImage(bb); got != "hello from busybox\n" {
		t.Errorf("rmi of one name removed the image: %q", got)
	}
	// Re-pointing busybox's last names leaves it untagged: prune removes it.
	e.ok("rmi", "local-box")
	e.ok("tag", a, bb)
	if in := e.inspect(bb); !slices.Equal(in.RootFS.Layers, s.SharedA.DiffIDs) {
		t.Errorf("tag over an existing name: it still names %q", in.RootFS.Layers)
	}
	e.ok("image", "prune")
	for _, img := range e.images() {
		if img.Digest == s.Busybox.Digest {
			t.Errorf("image prune kept the untagged %+v", img)
		}
	}
	if got := e.layerDirs(); !slices.Equal(got, sortedCopy(s.SharedA.ChainIDs)) {
		t.Errorf("after prune, layers/ holds %q, want shared-a's %q", got, s.SharedA.ChainIDs)
	}
	e.ok("image", "prune", "-a")
	e.wantNoImages()
	if got := e.layerDirs(); len(got) != 0 {
		t.Errorf("after prune -a, layers/ holds %q", got)
	}

	// rmi -f by ID takes every name.
	e.pull(bb)
	e.ok("tag", bb, "other:one")
	e.ok("rmi", "-f", s.Busybox.ID())
	e.wantNoImages()
	r = e.nook("rmi", s.Busybox.ID())
	wantOneLine(t, r, 1)
}

// A tag that moved in the registry: the next pull follows it, and the
// image it left is unnamed (prune removes it).
func TestPullTagMoved(t *testing.T) {
	first := uniqueImage(t, "test/moving", gzipped)
	e := newImageEnv(t)
	ref := first.Ref(t)
	e.pull(ref)
	firstOut := e.runImage(ref)
	second := uniqueImage(t, "test/moving", gzipped)
	if second.Digest == first.Digest {
		t.Fatal("test images: the two pushes are one image")
	}
	r := e.pull(ref, "-q")
	if got := strings.TrimSpace(r.Stdout); got != second.Digest {
		t.Errorf("pull -q after the tag moved: %q, want %s", got, second.Digest)
	}
	if got := e.runImage(ref); got == firstOut {
		t.Errorf("run %s still runs the image the tag left", ref)
	}
	for _, img := range e.images() {
		if img.Digest == first.Digest && slices.Contains(img.Names, ref) {
			t.Errorf("the image the tag left still has its name: %+v", img)
		}
	}
	e.ok("image", "prune")
	if imgs := e.images(); len(imgs) != 1 || imgs[0].Digest != second.Digest {
		t.Errorf("after prune: %+v, want only %s", imgs, second.Digest)
	}
}

// A user without subordinate ids has a store of its own and pulls and runs
// images; files of owners other than root cannot be kept (only the user's
// own id is mapped), so they belong to root, and nook says so once, on
// stderr, as podman's ignore_chown_errors does.
func TestImageWithoutSubordinateIDs(t *testing.T) {
	s := testImages(t)
	a := plainUser(t)
	data := tempDirOwned(t, a)
	as := func(args ...string) result {
		t.Helper()
		cmd := exec.Command(env.nook, args...)
		cmd.Env = append(a.env(), "XDG_DATA_HOME="+data)
		cmd.Dir = a.home
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: a.groups},
			Setpgid:    true,
		}
		t.Cleanup(func() { killGroup(cmd) })
		return run(t, cmd)
	}
	r := as("pull", "-q", s.Busybox.Ref(t))
	wantCode(t, r, 0)
	r = as("run", "--rm", s.Busybox.Ref(t))
	wantCode(t, r, 0)
	if r.Stdout != "hello from busybox\n" {
		t.Errorf("run: %q", r.Stdout)
	}
	r = as("pull", s.Owned.Ref(t))
	wantCode(t, r, 0)
	if note := strings.TrimSpace(r.Stderr); !strings.HasPrefix(note, "nook: ") || strings.Contains(note, "\n") ||
		!strings.Contains(note, "root") || !strings.Contains(note, "subordinate") {
		t.Errorf("pull of an image with files of uid 1000: want one note naming root and subordinate ids, got %q", r.Stderr)
	}
	r = as("run", "--rm", s.Owned.Ref(t), "stat", "-c", "%n %u:%g", "/owned/file", "/owned/rootfile")
	wantCode(t, r, 0)
	if r.Stdout != "/owned/file 0:0\n/owned/rootfile 0:0\n" {
		t.Errorf("inside: %q, want both owned by root", r.Stdout)
	}
	r = as("images", "-q")
	wantCode(t, r, 0)
	if got := sortedCopy(lines(strings.TrimSpace(r.Stdout))); !slices.Equal(got, sortedCopy([]string{s.Busybox.ID(), s.Owned.ID()})) {
		t.Errorf("images -q: %q, want busybox %s and owned %s", got, s.Busybox.ID(), s.Owned.ID())
	}
}

// An image a container runs from is not removed under it: rmi refuses,
// prune -a keeps it, rmi -f takes the image but leaves its layers to the
// container, which keeps working; once it is gone, prune removes them.
func TestImageInUseByContainer(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Busybox.Ref(t)
	e.pull(ref)
	c := startSession(t, e.cmd("run", "--rm", "-i", ref, "sh", "-c", "echo ready; read x; head -1 /etc/passwd; ls /bin/busybox"))
	c.Expect("ready\n", 20*time.Second)

	r := e.nook("rmi", ref)
	wantPullError(t, r, 1, nil, []string{"in use"})
	e.ok("image", "prune", "-a")
	if imgs := e.images(); len(imgs) != 1 {
		t.Errorf("image prune -a removed an image a container uses: %+v", imgs)
	}
	e.ok("rmi", "-f", ref)
	e.wantNoImages()
	if got := e.layerDirs(); !slices.Equal(got, s.Busybox.ChainIDs) {
		t.Errorf("rmi -f took the layers of a running container: layers/ holds %q", got)
	}
	e.ok("image", "prune", "-a")
	if got := e.layerDirs(); !slices.Equal(got, s.Busybox.ChainIDs) {
		t.Errorf("prune -a took the layers of a running container: layers/ holds %q", got)
	}

	c.Write("go\n")
	c.Expect("root:x:0:0:root:/root:/bin/sh\n/bin/busybox\n", 20*time.Second)
	wantCode(t, c.Wait(), 0)

	e.ok("image", "prune", "-a")
	if got := e.layerDirs(); len(got) != 0 {
		t.Errorf("after the container and prune -a, layers/ holds %q", got)
	}
	if got := e.entries("blobs/sha256"); len(got) != 0 {
		t.Errorf("after the container and prune -a, blobs/ holds %q", got)
	}
}

// Ctrl-C during a pull: it stops soon, says so in one line, and the next
// pull finishes the job.
func TestPullInterrupted(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := newRegistryProxy(t)
	p.Throttle(32<<10, 50*time.Millisecond)
	ref := p.Ref(s.Busybox.Repo + ":latest")
	c := startSession(t, e.cmd("pull", ref))
	waitFor(t, 20*time.Second, "some of the layer downloaded", func() bool { return p.blobBytes.Load() > 250<<10 })
	start := time.Now()
	// As a terminal does: to the whole foreground process group.
	if err := syscall.Kill(-c.Pid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := c.Wait()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the pull took %v to stop after SIGINT", d)
	}
	if r.Code == 0 {
		t.Fatalf("the interrupted pull exited 0: %v", r)
	}
	r.Stdout = ""
	wantPullError(t, r, r.Code, nil, []string{"interrupted"})
	e.wantNoImages()

	p.Pass()
	e.pull(ref)
	if got := e.runImage(ref); got != "hello from busybox\n" {
		t.Errorf("run after the repeated pull: %q", got)
	}
	if got := e.entries("tmp"); len(got) != 0 {
		t.Errorf("tmp/ holds %q after an interrupted and a good pull", got)
	}
}
