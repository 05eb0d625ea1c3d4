package safecopy

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plant puts symlinks in every form into c's root: absolute ones to the
// root and to the host's outside directory, relative ones climbing out,
// and an "outside" directory inside that each should lead to instead.
func plant(t *testing.T, c *fakeContainer) {
	t.Helper()
	build(t, c.dir,
		"escape -> /",
		"up -> ../../../../../../../..",
		"out -> "+c.outside,
		"outrel -> ../outside",
		"victim -> "+c.sentinel,
		"victimrel -> ../outside/sentinel",
		"d/ 0755", "d/in -> ../../outside",
		"outside/ 0755", "outside/sentinel 0644 inner")
}

// Symlinks planted in the container, used as the destination or as part
// of its path, lead inside the container's root or nowhere.
func TestEscapeCopyIn(t *testing.T) {
	for _, tc := range []struct {
		dst  string
		at   string // where the file lands, in the root; "" for an error
		link string // what the destination name still is (a symlink), if not the file
	}{
		{dst: "/escapeOUTSIDE/sentinel"}, // the host's path, inside the root: missing
		{dst: "/escape/outside/sentinel", at: "outside/sentinel"},
		{dst: "/up/outside/new", at: "outside/new"},
		{dst: "/out/sentinel"}, // c.outside inside the root: missing
		{dst: "/outrel/sentinel", at: "outside/sentinel"},
		{dst: "/outrel/", at: "outside/f"},
		{dst: "/d/in/sentinel", at: "outside/sentinel"},
		{dst: "/victim", at: "victim"},
		{dst: "/victimrel", at: "victimrel"},
		{dst: "/up", at: "f"}, // a link to a directory (the root) is copied into
	} {
		t.Run(tc.dst, func(t *testing.T) {
			c := newFakeContainer(t)
			plant(t, c)
			host := hostDir(t, "f 0644 evil")
			dst := strings.ReplaceAll(tc.dst, "OUTSIDE", c.outside)
			err := Copy(Host(), filepath.Join(host, "f"), c.root, dst, Options{})
			c.untouched(t)
			if tc.at == "" {
				if err == nil {
					t.Fatalf("copy to %s worked", tc.dst)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(c.dir, tc.at))
			if err != nil || string(got) != "evil" {
				t.Errorf("%s in the root: %q %v", tc.at, got, err)
			}
			if st, err := os.Lstat(filepath.Join(c.dir, tc.at)); err != nil || !st.Mode().IsRegular() {
				t.Errorf("%s is not a regular file: %v %v", tc.at, st.Mode(), err)
			}
		})
	}
}

// Read through planted symlinks, a copy out finds what is inside the
// root or nothing, and copies symlinks below SRC as symlinks.
func TestEscapeCopyOut(t *testing.T) {
	for _, tc := range []struct {
		src    string
		follow bool
		want   []string // the host directory's tree afterwards; nil for an error
	}{
		{src: "/escape/outside/sentinel", want: []string{"sentinel 0644 inner"}},
		{src: "/escapeOUTSIDE/sentinel"},
		{src: "/out/sentinel"},
		{src: "/outrel/sentinel", want: []string{"sentinel 0644 inner"}},
		{src: "/victim", want: []string{"victim -> " + "SENTINEL"}},
		{src: "/victim", follow: true},
		{src: "/victimrel", follow: true, want: []string{"victimrel 0644 inner"}},
		{src: "/d", want: []string{"d/ 0755", "d/in -> ../../outside"}},
		{src: "/d/in/", want: []string{"in/ 0755", "in/sentinel 0644 inner"}},
	} {
		t.Run(tc.src, func(t *testing.T) {
			c := newFakeContainer(t)
			plant(t, c)
			host := tempDir(t)
			src := strings.ReplaceAll(tc.src, "OUTSIDE", c.outside)
			err := Copy(c.root, src, Host(), host, Options{FollowLink: tc.follow})
			c.untouched(t)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("copy of %s worked: %v", tc.src, describe(t, host))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				tc.want[i] = strings.ReplaceAll(w, "SENTINEL", c.sentinel)
			}
			wantTree(t, host, tc.want...)
		})
	}
}

// tarOf is a tar stream of the headers (a regular file's body is its
// Linkname field, moved).
func tarOf(t *testing.T, hs ...tar.Header) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		body := ""
		if h.Typeflag == tar.TypeReg {
			body, h.Linkname = h.Linkname, ""
			h.Size = int64(len(body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// A hostile tar stream cannot write outside the directory it goes into:
// not by "..", not through a symlink it brings or finds, not by a hard
// link, and the directory itself is resolved inside the root.
func TestEscapeTar(t *testing.T) {
	reg := func(name, body string) tar.Header {
		return tar.Header{Name: name, Typeflag: tar.TypeReg, Linkname: body}
	}
	sym := func(name, target string) tar.Header {
		return tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target}
	}
	hard := func(name, target string) tar.Header {
		return tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: target}
	}
	for _, tc := range []struct {
		name string
		dst  string
		hs   []tar.Header
	}{
		{"dotdot", "/d", []tar.Header{reg("../../outside/sentinel", "evil")}},
		{"its own symlink", "/", []tar.Header{sym("a", "OUTSIDE"), reg("a/sentinel", "evil")}},
		{"a planted symlink", "/", []tar.Header{reg("out/sentinel", "evil")}},
		{"a planted relative symlink", "/d", []tar.Header{reg("in/sentinel", "evil")}},
		{"a hard link out", "/", []tar.Header{hard("h", "../outside/sentinel")}},
		{"a hard link through a symlink", "/", []tar.Header{hard("h", "out/sentinel")}},
		{"into a planted symlink", "/out", []tar.Header{reg("sentinel", "evil")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeContainer(t)
			plant(t, c)
			for i := range tc.hs {
				tc.hs[i].Linkname = strings.ReplaceAll(tc.hs[i].Linkname, "OUTSIDE", c.outside)
			}
			err := ExtractTar(tarOf(t, tc.hs...), c.root, tc.dst, Options{})
			if err == nil {
				t.Error("the tar stream was extracted")
			}
			c.untouched(t)
			if b, _ := os.ReadFile(filepath.Join(c.dir, "outside/sentinel")); string(b) != "inner" {
				t.Errorf("the root's outside/sentinel now holds %q", b)
			}
		})
	}
}

// The same stream extracted on the host (where symlinks resolve as
// usual) is kept below its directory just as well.
func TestEscapeTarOnHost(t *testing.T) {
	c := newFakeContainer(t)
	host := tempDir(t)
	hs := []tar.Header{
		{Name: "a", Typeflag: tar.TypeSymlink, Linkname: c.outside},
		{Name: "a/sentinel", Typeflag: tar.TypeReg, Linkname: "evil"},
	}
	if err := ExtractTar(tarOf(t, hs...), Host(), host, Options{}); err == nil || !strings.Contains(err.Error(), "follows no symlink") {
		t.Errorf("extract: %v", err)
	}
	c.untouched(t)
}
