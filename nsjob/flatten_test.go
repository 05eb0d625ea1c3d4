package nsjob

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"nook/layer"
)

// layerDir builds an overlay-format layer from a spec: "path/" a
// directory, "path=body" a file, "path->target" a symlink, "path!" a
// whiteout, "path/!opq" an opaque directory, "path|" a fifo.
func layerDir(t *testing.T, specs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range specs {
		var err error
		switch {
		case strings.HasSuffix(s, "/!opq"):
			p := filepath.Join(dir, strings.TrimSuffix(s, "/!opq"))
			err = os.MkdirAll(p, 0o755)
			if err == nil {
				err = unix.Setxattr(p, layer.OpaqueXattr, []byte("y"), 0)
			}
		case strings.HasSuffix(s, "/"):
			err = os.MkdirAll(filepath.Join(dir, s), 0o755)
		case strings.HasSuffix(s, "!"):
			err = unix.Mknod(filepath.Join(dir, strings.TrimSuffix(s, "!")), unix.S_IFCHR, 0)
		case strings.HasSuffix(s, "|"):
			err = unix.Mkfifo(filepath.Join(dir, strings.TrimSuffix(s, "|")), 0o640)
		case strings.Contains(s, "->"):
			p, target, _ := strings.Cut(s, "->")
			err = os.Symlink(target, filepath.Join(dir, p))
		default:
			p, body, _ := strings.Cut(s, "=")
			err = os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644)
		}
		if err != nil {
			t.Fatalf("layer entry %q: %v", s, err)
		}
	}
	return dir
}

// contents describes a tree as path → "dir", "file BODY", "link TARGET"
// or "fifo".
func contents(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch m := fi.Mode(); {
		case m.IsDir():
			out[rel] = "dir"
		case m&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case m&os.ModeNamedPipe != 0:
			out[rel] = "fifo"
		case m&os.ModeCharDevice != 0:
			out[rel] = "chardev"
		default:
			b, _ := os.ReadFile(p)
			out[rel] = "file " + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func flattenT(t *testing.T, layers ...string) string {
	t.Helper()
	dst := t.TempDir()
	if err := flatten(dst, layers, isWhiteout); err != nil {
		t.Fatalf("flatten: %v", err)
	}
	return dst
}

func wantTree(t *testing.T, root string, want map[string]string) {
	t.Helper()
	got := contents(t, root)
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: %q, want %q", p, got[p], w)
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: unexpected %q", p, g)
		}
	}
}

// TestFlattenUnion: what overlayfs shows of the same stack.
func TestFlattenUnion(t *testing.T) {
	mustBeRoot(t)
	lower := layerDir(t, "a/", "a/x=lx", "a/y=ly", "b/", "b/deep/", "b/deep/f=old",
		"c=file", "gone=1", "o/", "o/hidden=h", "o/sub/", "o/sub/h2=h", "l->a/x", "p|")
	upper := layerDir(t, "a/", "a/z=uz", "a/x=ux", "a/y!", "b=now a file", "c/", "c/inside=i",
		"gone!", "o/!opq", "o/seen=s", "l->c", "never!")
	dst := flattenT(t, lower, upper)
	wantTree(t, dst, map[string]string{
		"a": "dir", "a/x": "file ux", "a/z": "file uz",
		"b":        "file now a file",
		"c":        "dir",
		"c/inside": "file i",
		"o":        "dir", "o/seen": "file s",
		"l": "link c",
		"p": "fifo",
	})
	if _, err := unix.Lgetxattr(filepath.Join(dst, "o"), layer.OpaqueXattr, make([]byte, 8)); err == nil {
		t.Error("the opaque marker was copied into the flat tree")
	}
}

// TestFlattenThreeLayers: an opaque directory hides only the layers below
// it; a whiteout in the top layer removes what the middle one added.
func TestFlattenThreeLayers(t *testing.T) {
	mustBeRoot(t)
	l1 := layerDir(t, "d/", "d/one=1")
	l2 := layerDir(t, "d/!opq", "d/two=2", "e/", "e/f=f")
	l3 := layerDir(t, "d/", "d/three=3", "e!")
	wantTree(t, flattenT(t, l1, l2, l3), map[string]string{"d": "dir", "d/two": "file 2", "d/three": "file 3"})
}

// TestFlattenStaysInside: symlinks left by a lower layer are replaced, never
// followed, whatever an upper layer puts at or below them.
func TestFlattenStaysInside(t *testing.T) {
	mustBeRoot(t)
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	os.WriteFile(victim, []byte("safe"), 0o644)
	lower := layerDir(t, "evil->"+outside, "file->"+victim, "rel->../../../..", "d/", "d/up->../../..")
	upper := layerDir(t, "evil/", "evil/pwn=x", "file=overwritten", "rel/", "rel/pwn=x", "d/", "d/up/", "d/up/pwn=x")
	dst := flattenT(t, lower, upper)
	wantTree(t, dst, map[string]string{
		"evil": "dir", "evil/pwn": "file x", "file": "file overwritten",
		"rel": "dir", "rel/pwn": "file x", "d": "dir", "d/up": "dir", "d/up/pwn": "file x",
	})
	if b, _ := os.ReadFile(victim); string(b) != "safe" {
		t.Errorf("victim outside dst changed: %q", b)
	}
	if names, _ := os.ReadDir(outside); len(names) != 1 {
		t.Errorf("outside dst: %v", names)
	}
}

// TestFlattenKeepsMetadata: owners (symlinks' too), modes, times, hard
// links, user xattrs but not overlayfs's, holes.
func TestFlattenKeepsMetadata(t *testing.T) {
	mustBeRoot(t)
	l := layerDir(t, "d/", "d/f=data", "ro/", "ro/x=x", "s->d/f")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Link(filepath.Join(l, "d/f"), filepath.Join(l, "d/f2")))
	must(os.Lchown(filepath.Join(l, "d/f"), 1000, 1001))
	must(unix.Chmod(filepath.Join(l, "d/f"), 0o4751))
	must(os.Lchown(filepath.Join(l, "s"), 1002, 1003))
	must(os.Chown(filepath.Join(l, "d"), 1004, 1005))
	must(unix.Chmod(filepath.Join(l, "d"), 0o2750))
	must(unix.Setxattr(filepath.Join(l, "d/f"), "user.note", []byte("kept"), 0))
	must(unix.Setxattr(filepath.Join(l, "d/f"), "user.overlay.redirect", []byte("/x"), 0))
	must(os.Chtimes(filepath.Join(l, "d/f"), testTime, testTime))
	must(os.Chtimes(filepath.Join(l, "d"), testTime, testTime))
	must(os.Chmod(filepath.Join(l, "ro"), 0))
	// Sparse: 64 MiB with 4 KiB of data in the middle.
	sparse, err := os.Create(filepath.Join(l, "sparse"))
	must(err)
	_, err = sparse.WriteAt([]byte("middle"), 32<<20)
	must(err)
	must(sparse.Truncate(64 << 20))
	sparse.Close()

	dst := flattenT(t, l)
	f, f2 := lstat(t, filepath.Join(dst, "d/f")), lstat(t, filepath.Join(dst, "d/f2"))
	if f.Ino != f2.Ino {
		t.Error("d/f and d/f2 are no longer one file")
	}
	if f.Uid != 1000 || f.Gid != 1001 || f.Mode&0o7777 != 0o4751 {
		t.Errorf("d/f: %d:%d %o", f.Uid, f.Gid, f.Mode&0o7777)
	}
	if f.Mtim.Sec != testTime.Unix() {
		t.Errorf("d/f mtime %v", f.Mtim)
	}
	if s := lstat(t, filepath.Join(dst, "s")); s.Uid != 1002 || s.Gid != 1003 {
		t.Errorf("symlink s: %d:%d", s.Uid, s.Gid)
	}
	d := lstat(t, filepath.Join(dst, "d"))
	if d.Uid != 1004 || d.Gid != 1005 || d.Mode&0o7777 != 0o2750 || d.Mtim.Sec != testTime.Unix() {
		t.Errorf("d: %d:%d %o %v", d.Uid, d.Gid, d.Mode&0o7777, d.Mtim)
	}
	if ro := lstat(t, filepath.Join(dst, "ro")); ro.Mode&0o7777 != 0 {
		t.Errorf("ro: mode %o", ro.Mode&0o7777)
	}
	buf := make([]byte, 16)
	if n, err := unix.Getxattr(filepath.Join(dst, "d/f"), "user.note", buf); err != nil || string(buf[:n]) != "kept" {
		t.Errorf("user.note: %q %v", buf[:n], err)
	}
	if _, err := unix.Getxattr(filepath.Join(dst, "d/f"), "user.overlay.redirect", buf); err == nil {
		t.Error("user.overlay.redirect copied")
	}
	sp := lstat(t, filepath.Join(dst, "sparse"))
	if sp.Size != 64<<20 || sp.Blocks*512 > 1<<20 {
		t.Errorf("sparse: size %d, %d bytes allocated", sp.Size, sp.Blocks*512)
	}
	b, _ := os.ReadFile(filepath.Join(dst, "sparse"))
	if string(b[32<<20:32<<20+6]) != "middle" {
		t.Error("sparse data lost")
	}
}

// TestFlattenUpperDirMetadataWins: the topmost layer's directory decides
// its mode, as overlayfs shows the upper directory's attributes.
func TestFlattenUpperDirMetadataWins(t *testing.T) {
	mustBeRoot(t)
	lower := layerDir(t, "d/")
	upper := layerDir(t, "d/")
	os.Chmod(filepath.Join(upper, "d"), 0o700)
	dst := flattenT(t, lower, upper)
	if st := lstat(t, filepath.Join(dst, "d")); st.Mode&0o7777 != 0o700 {
		t.Errorf("d: mode %o", st.Mode&0o7777)
	}
}

func TestFlattenRefusesNonEmptyDst(t *testing.T) {
	dst := t.TempDir()
	os.WriteFile(filepath.Join(dst, "x"), nil, 0o644)
	if err := flatten(dst, nil, isWhiteout); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("err = %v", err)
	}
}

// TestRemoveAllUnreadable: directories of mode 0 and symlinks out of the
// tree (which must not be followed).
func TestRemoveAllUnreadable(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "keep"), nil, 0o644)
	dir := filepath.Join(t.TempDir(), "tree")
	os.MkdirAll(filepath.Join(dir, "a/b"), 0o755)
	os.WriteFile(filepath.Join(dir, "a/b/f"), nil, 0o644)
	os.Symlink(outside, filepath.Join(dir, "a/out"))
	os.Chmod(filepath.Join(dir, "a/b"), 0)
	os.Chmod(filepath.Join(dir, "a"), 0)
	if err := removeAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("tree still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("followed the symlink: %v", err)
	}
	if err := removeAll(dir); err != nil {
		t.Errorf("removing a missing tree: %v", err)
	}
}
