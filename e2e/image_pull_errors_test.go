package e2e

// What nook pull does with bad input: hostile layers, corrupt or missing
// blobs, things that are no image, names that are no reference, registries
// that are not there or hang up. Each fails with one line that says what
// was wrong, writes nothing outside the store and leaves no half image.

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// progressLine is what a pull that is not on a terminal prints per layer
// ("0cb1906b32f3: failed (163B in 0.0s)"): on stdout for nook pull, on
// stderr for nook run (whose stdout is the container's).
var progressLine = regexp.MustCompile(`^[0-9a-f]{12}: `)

// withoutProgress drops the progress lines from out.
func withoutProgress(out string) string {
	var keep []string
	for _, l := range lines(out) {
		if !progressLine.MatchString(l) {
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 {
		return ""
	}
	return strings.Join(keep, "\n") + "\n"
}

// wantPullError checks a failed pull (or run, load, ...): exit code, one
// line "nook: ..." (besides per-layer progress lines) mentioning every word
// of all and at least one of anyOf.
func wantPullError(t *testing.T, r result, code int, all, anyOf []string) {
	t.Helper()
	r.Stdout, r.Stderr = withoutProgress(r.Stdout), withoutProgress(r.Stderr)
	msg := wantOneLine(t, r, code, all...)
	if w := doubledWord(msg); w != "" {
		t.Errorf("message %q says %q twice", msg, w)
	}
	if len(anyOf) == 0 {
		return
	}
	lower := strings.ToLower(msg)
	for _, w := range anyOf {
		if strings.Contains(lower, strings.ToLower(w)) {
			return
		}
	}
	t.Errorf("message %q mentions none of %q", msg, anyOf)
}

// doubledWord finds a word said twice in a row ("layer layer sha256:...").
func doubledWord(msg string) string {
	f := strings.Fields(msg)
	for i := 1; i < len(f); i++ {
		if f[i] == f[i-1] && strings.Trim(f[i], "abcdefghijklmnopqrstuvwxyz") == "" {
			return f[i]
		}
	}
	return ""
}

// treeState maps every path under root to what it is: type and mode,
// owner, size, modification time and, for a file, its content's hash.
func treeState(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		st := fi.Sys().(*syscall.Stat_t)
		v := fmt.Sprintf("%v %d:%d %d %d", fi.Mode(), st.Uid, st.Gid, fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() && fi.Size() < 1<<20 {
			if b, err := os.ReadFile(p); err == nil {
				v += fmt.Sprintf(" %x", sha256Hash(b).Hex[:16])
			}
		}
		m[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func wantSameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, v := range before {
		if w, ok := after[p]; !ok {
			t.Errorf("%s: %s was removed", what, p)
		} else if w != v {
			t.Errorf("%s: %s changed: %s -> %s", what, p, v, w)
		}
	}
	for p, v := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared (%s)", what, p, v)
		}
	}
}

// wantNoEscapes fails if a file a hostile layer tried to place outside its
// directory exists anywhere it could have landed: anything named escape*
// in the work directory (the stores and their tmp/ included), the user's
// home, /, /tmp and /var/tmp; or a hard link to /etc/passwd.
func wantNoEscapes(t *testing.T) {
	t.Helper()
	passwd, err := os.Stat("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	check := func(p string, d fs.DirEntry) {
		if strings.HasPrefix(d.Name(), "escape") {
			t.Errorf("a hostile layer's file escaped: %s", p)
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil && fi.Sys().(*syscall.Stat_t).Nlink > 1 && os.SameFile(fi, passwd) {
				t.Errorf("%s is a hard link to /etc/passwd", p)
			}
		}
	}
	for _, root := range []string{env.workDir, env.user.HomeDir} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil {
				check(p, d)
			}
			return nil
		})
	}
	for _, dir := range []string{"/", "/tmp", "/var/tmp", filepath.Dir(env.workDir)} {
		des, _ := os.ReadDir(dir)
		for _, d := range des {
			check(filepath.Join(dir, d.Name()), d)
		}
	}
}

// corruptBlob rewrites the registry's copy of digest with edit's result
// (of the same length, so the registry serves it whole).
func corruptBlob(t *testing.T, digest string, edit func([]byte) []byte) {
	t.Helper()
	path := registryBlobData(t, digest)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nb := edit(bytes.Clone(b))
	if len(nb) != len(b) || bytes.Equal(nb, b) {
		t.Fatalf("corruptBlob %s: edit must change the bytes and keep the length", digest)
	}
	if err := os.WriteFile(path, nb, 0o644); err != nil {
		t.Fatal(err)
	}
}

func replaceOnce(old, new string) func([]byte) []byte {
	return func(b []byte) []byte {
		i := bytes.Index(b, []byte(old))
		if i < 0 || len(old) != len(new) {
			panic(fmt.Sprintf("replaceOnce %q: not found or lengths differ", old))
		}
		copy(b[i:], new)
		return b
	}
}

func short(digest string) string { return hexOf(digest)[:12] }

func TestPullBadInputs(t *testing.T) {
	s := testImages(t)
	words := func(w ...string) []string { return w }
	mismatch := words("mismatch", "digest", "checksum")
	tests := []struct {
		name string
		// ref sets up what is to be pulled and returns its reference.
		ref         func(t *testing.T) string
		all, anyOf  []string
		hostileBlob string // the layer that must not be in layers/ or blobs/
	}{
		{name: "dot-dot", ref: s.DotDot.Ref,
			all: words(short(s.DotDot.Layers[0]), "../../escape"), anyOf: words("leaves", "unsafe", "outside"),
			hostileBlob: s.DotDot.Layers[0]},
		{name: "absolute path", ref: s.Absolute.Ref,
			all: words(short(s.Absolute.Layers[0]), "/escape-abs"), anyOf: words("absolute", "unsafe"),
			hostileBlob: s.Absolute.Layers[0]},
		{name: "symlink to / then a file below it", ref: s.Symlink.Ref,
			all: words(short(s.Symlink.Layers[0]), "link/escape-symlink"), anyOf: words("symlink", "unsafe"),
			hostileBlob: s.Symlink.Layers[0]},
		{name: "hard link to /etc/passwd", ref: s.Hardlink.Ref,
			all: words(short(s.Hardlink.Layers[0]), "/etc/passwd"), anyOf: words("absolute", "unsafe", "leaves"),
			hostileBlob: s.Hardlink.Layers[0]},
		{name: "truncated gzip", ref: s.Truncated.Ref,
			all: words(short(s.Truncated.Layers[0])), anyOf: words("truncated"),
			hostileBlob: s.Truncated.Layers[0]},
		{name: "layer not matching its digest", ref: func(t *testing.T) string {
			p := uniqueImage(t, "test/bad-layer-digest", uncompressed)
			// Still a valid tar, so only the digest can tell.
			corruptBlob(t, p.Layers[1], replaceOnce("TestPullBadInputs", "TestPullBadInputZ"))
			return p.Ref(t)
		}, anyOf: mismatch},
		{name: "config not matching its digest", ref: func(t *testing.T) string {
			p := uniqueImage(t, "test/bad-config-digest", gzipped)
			corruptBlob(t, p.Config, replaceOnce(`"cat"`, `"cad"`))
			return p.Ref(t)
		}, anyOf: mismatch},
		{name: "manifest not matching its digest", ref: func(t *testing.T) string {
			p := uniqueImage(t, "test/bad-manifest-digest", gzipped)
			// Still a manifest the registry serves: one digit of the
			// config's digest changed.
			h := hexOf(p.Config)
			flipped := h[:63] + map[bool]string{true: "1", false: "0"}[h[63] == '0']
			corruptBlob(t, p.Digest, replaceOnce(h, flipped))
			return p.DigestRef(t)
		}, anyOf: mismatch},
		{name: "missing layer blob", ref: func(t *testing.T) string {
			p := uniqueImage(t, "test/bad-missing-blob", gzipped)
			if err := os.Remove(registryBlobData(t, p.Layers[1])); err != nil {
				t.Fatal(err)
			}
			return p.Ref(t)
		}, anyOf: words("not found", "missing", "unknown")},
		{name: "not an image", ref: s.Artifact.Ref, anyOf: words("not a container image", "not an image")},
		{name: "no such repository", ref: func(t *testing.T) string { return registryAddr(t) + "/test/nothing:latest" },
			all: words("test/nothing"), anyOf: words("not found")},
		{name: "no such tag", ref: func(t *testing.T) string { return registryAddr(t) + "/test/busybox:nope" },
			all: words("nope"), anyOf: words("not found")},
		{name: "no such digest", ref: func(t *testing.T) string {
			return registryAddr(t) + "/test/busybox@sha256:" + strings.Repeat("ab", 32)
		}, all: words("abab"), anyOf: words("not found")},
		{name: "unreachable registry", ref: func(t *testing.T) string {
			port, err := freePort()
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("127.0.0.1:%d/test/busybox:latest", port)
		}, anyOf: words("connection refused", "cannot reach", "unreachable")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newImageEnv(t)
			home := treeState(t, env.user.HomeDir)
			sentinel := treeState(t, e.sentinel)
			ref := tc.ref(t)

			r := e.nook("pull", ref)
			wantPullError(t, r, 1, tc.all, tc.anyOf)
			t.Logf("nook pull: %s", strings.TrimSpace(withoutProgress(r.Stderr)))
			// nook run pulls the same way and fails the same way.
			r = e.nook("run", "--rm", ref, "true")
			if r.Code == 0 {
				t.Errorf("nook run of it succeeded: %v", r)
			} else {
				wantPullError(t, r, r.Code, tc.all, tc.anyOf)
			}

			e.wantNoImages()
			wantNoEscapes(t)
			wantSameTree(t, "the user's home", home, treeState(t, env.user.HomeDir))
			wantSameTree(t, "the directory next to the store", sentinel, treeState(t, e.sentinel))
			if got := e.entries("tmp"); len(got) != 0 {
				t.Errorf("tmp/ holds %q after the failed pull", got)
			}
			for _, l := range e.layerDirs() {
				if l != s.Busybox.ChainIDs[0] { // the good base of the unique images may stay
					t.Errorf("layers/ holds %s", l)
				}
			}
			if tc.hostileBlob != "" && slices.Contains(e.entries("blobs/sha256"), hexOf(tc.hostileBlob)) {
				t.Logf("note: the refused layer's blob stays in blobs/ (until prune)")
			}
			// What a failed pull kept, no image uses: prune removes it.
			e.ok("image", "prune", "-a")
			if got := e.entries("blobs/sha256"); len(got) != 0 {
				t.Errorf("after image prune -a, blobs/sha256 still holds %q", got)
			}
			if got := e.layerDirs(); len(got) != 0 {
				t.Errorf("after image prune -a, layers/ still holds %q", got)
			}
		})
	}
}

// A name that is no reference is refused before any network use.
func TestPullInvalidReference(t *testing.T) {
	e := newImageEnv(t)
	for _, ref := range []string{
		"UPPER/Case::",
		"127.0.0.1:1/x@sha256:abc",
		"name:tag:extra",
		"a//b",      // an empty path component
		"/leading",  // a path starting with a separator
		"trailing/", // or ending with one
		"a..b",      // two separators in a row
		"busybox:" + strings.Repeat("t", 200),
	} {
		r := e.nook("pull", ref)
		wantPullError(t, r, 1, []string{ref}, []string{"invalid", "reference"})
		if strings.Contains(r.Stderr, "connect") {
			t.Errorf("pull %q went to the network: %s", ref, r.Stderr)
		}
	}
	e.wantNoImages()
}

// The registry closing the connection in the middle of a blob: a clear
// error, no image; and once it behaves, a pull works.
func TestPullConnectionClosedMidBlob(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	p := newRegistryProxy(t)
	ref := p.Ref(s.Busybox.Repo + ":latest")
	p.Cut(100 << 10)
	r := e.nook("pull", ref)
	wantPullError(t, r, 1, nil, []string{"closed", "connection", "EOF", "reset", "truncated"})
	if n := p.BlobGets(s.Busybox.Layers[0]); n < 1 {
		t.Errorf("the layer was never requested")
	} else {
		t.Logf("the layer was requested %d times", n)
	}
	e.wantNoImages()
	if got := e.layerDirs(); len(got) != 0 {
		t.Errorf("layers/ holds %q", got)
	}

	p.Pass()
	e.pull(ref)
	if got := e.runImage(ref); got != "hello from busybox\n" {
		t.Errorf("run after the good pull: %q", got)
	}
	if got := e.entries("tmp"); len(got) != 0 {
		t.Errorf("tmp/ holds %q", got)
	}
}
