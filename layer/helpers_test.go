package layer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// entry is one tar entry a test layer holds.
type entry struct {
	hdr  tar.Header
	body string
}

var testTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

func dirE(name string, mode int64) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: testTime}}
}

func fileE(name, body string, mode int64) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body)), ModTime: testTime}, body: body}
}

func symE(name, target string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: testTime}}
}

func hardE(name, target string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: testTime}}
}

func withXattrs(e entry, kv ...string) entry {
	e.hdr.PAXRecords = map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		e.hdr.PAXRecords["SCHILY.xattr."+kv[i]] = kv[i+1]
	}
	e.hdr.Format = tar.FormatPAX
	return e
}

func tarball(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("tar header %q: %v", h.Name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatalf("tar body %q: %v", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func zstded(t *testing.T, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// fixture is a layer directory with a sentinel directory beside it that no
// layer may change.
type fixture struct {
	base, dir, outside string
	before             map[string]string
}

// escapeNames are absolute names the hostile layers aim at; none may exist
// after a test.
var escapeNames = []string{"/nook-layer-test-abs", "/nook-layer-test-file", "/nook-layer-test-x"}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	base := t.TempDir()
	// Directories a test made read-only would stop the temporary
	// directory's removal when not running as root.
	t.Cleanup(func() { makeWritable(base) })
	f := &fixture{base: base, dir: filepath.Join(base, "layer"), outside: filepath.Join(base, "outside")}
	for _, d := range []string{f.dir, f.outside, filepath.Join(f.outside, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(f.outside, "f"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(f.outside, "sub", "l")); err != nil {
		t.Fatal(err)
	}
	for _, n := range escapeNames {
		if _, err := os.Lstat(n); err == nil {
			t.Fatalf("%s exists before the test", n)
		}
	}
	f.before = tree(t, f.outside)
	return f
}

// checkOutside fails the test if anything outside the layer changed.
func (f *fixture) checkOutside(t *testing.T) {
	t.Helper()
	if after := tree(t, f.outside); !reflect.DeepEqual(after, f.before) {
		t.Errorf("the sentinel directory changed:\nbefore %v\nafter  %v", f.before, after)
	}
	entries, err := os.ReadDir(f.base)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "layer" && e.Name() != "outside" {
			t.Errorf("%s appeared beside the layer", e.Name())
		}
	}
	for _, n := range escapeNames {
		if _, err := os.Lstat(n); err == nil {
			os.Remove(n)
			t.Errorf("%s was created outside the layer", n)
		}
	}
}

func makeWritable(root string) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

// tree describes every object under root without following symlinks:
// relative path → type, mode and content or target.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		out[rel] = describe(t, p)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return out
}

func describe(t *testing.T, p string) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	perm := st.Mode & 0o7777
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return fmt.Sprintf("dir %04o", perm)
	case unix.S_IFREG:
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("file %04o %q", perm, b)
	case unix.S_IFLNK:
		target, err := os.Readlink(p)
		if err != nil {
			t.Fatal(err)
		}
		return "link -> " + target
	case unix.S_IFCHR:
		return fmt.Sprintf("char %d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		return fmt.Sprintf("fifo %04o", perm)
	}
	return fmt.Sprintf("mode %o", st.Mode)
}

func diffTrees(got, want map[string]string) string {
	var b strings.Builder
	for k, w := range want {
		if g, ok := got[k]; !ok {
			fmt.Fprintf(&b, "\n  missing %s (want %s)", k, w)
		} else if g != w {
			fmt.Fprintf(&b, "\n  %s: got %s, want %s", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "\n  unexpected %s: %s", k, g)
		}
	}
	return b.String()
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// userXattrs reports whether the filesystem under dir takes user xattrs.
func userXattrs(t *testing.T, dir string) bool {
	t.Helper()
	p := filepath.Join(dir, "xattr-probe")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(p)
	return unix.Setxattr(p, "user.probe", []byte("1"), 0) == nil
}

func getxattr(p, name string) (string, error) {
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
