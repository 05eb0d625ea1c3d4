package e2e

// The container's root as a kernel overlay of image layers, mounted by the
// init inside the user namespace (the hidden --overlay-lower flag stands in
// for the image store until it is wired in).

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	testrootfs "nook/testdata/rootfs"
)

// overlayStore lays out what the image store will: layers/<name>/ and
// containers/<id>/{upper,work,merged}, all the test user's.
type overlayStore struct{ dir string }

func newOverlayStore(t *testing.T) overlayStore {
	t.Helper()
	return overlayStore{dir: userTempDir(t)}
}

func (s overlayStore) layer(name string) string { return filepath.Join(s.dir, "layers", name) }

// container makes a container's directories and returns its merged one.
func (s overlayStore) container(t *testing.T, id string) string {
	t.Helper()
	for _, d := range []string{"upper", "work", "merged"} {
		mkUserDir(t, filepath.Join(s.dir, "containers", id, d))
	}
	return filepath.Join(s.dir, "containers", id, "merged")
}

// bottomLayer is the busybox rootfs plus files the top layer deletes,
// hides or replaces.
func (s overlayStore) bottomLayer(t *testing.T) string {
	t.Helper()
	dir := s.layer("bottom")
	if err := testrootfs.Build(dir, env.probe); err != nil {
		t.Fatalf("build rootfs: %v", err)
	}
	for p, content := range map[string]string{
		"etc/motd": "bottom\n", "etc/gone": "deleted by the top layer\n",
		"keep/old": "kept\n", "opaque/old": "hidden by the top layer\n",
	} {
		writeFile(t, filepath.Join(dir, p), content)
	}
	return s.owned(t, dir)
}

// topLayer replaces /etc/motd, deletes /etc/gone (a whiteout, which only
// root can create on the host: mknod) and makes /opaque opaque.
func (s overlayStore) topLayer(t *testing.T) string {
	t.Helper()
	dir := s.layer("top")
	writeFile(t, filepath.Join(dir, "etc/motd"), "top\n")
	writeFile(t, filepath.Join(dir, "opaque/new"), "new\n")
	if err := unix.Mknod(filepath.Join(dir, "etc/gone"), unix.S_IFCHR|0o600, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(filepath.Join(dir, "opaque"), "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Fatalf("user xattrs on %s: %v", dir, err)
	}
	return s.owned(t, dir)
}

func (s overlayStore) owned(t *testing.T, dir string) string {
	t.Helper()
	if err := chownTree(filepath.Join(s.dir, "layers"), env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// overlayRun runs script in a container whose root is the overlay of
// layers (topmost first) on merged.
func overlayRun(t *testing.T, merged string, layers []string, flags []string, script string) result {
	t.Helper()
	for _, l := range layers {
		flags = append(flags, "--overlay-lower", l)
	}
	return ctrSh(t, merged, flags, script)
}

// The container sees the layers merged (replaced, deleted and opaque
// entries as overlayfs defines them), its writes land in the upper
// directory owned by the mapped ids, the layers are never written, and a
// read-only root is read-only.
func TestOverlayRoot(t *testing.T) {
	s := newOverlayStore(t)
	layers := []string{s.topLayer(t), s.bottomLayer(t)}
	merged := s.container(t, "c1")
	upper := filepath.Join(filepath.Dir(merged), "upper")
	subUID, _ := subordinate(t, "/etc/subuid")
	before := snapshot(t, filepath.Join(s.dir, "layers"))

	r := overlayRun(t, merged, layers, nil, `
		cat /etc/motd /keep/old; ls /opaque; test -e /etc/gone && echo /etc/gone is visible
		echo written > /written; echo more >> /etc/motd; rm /keep/old
		echo x > /by1000; chown 1000:1000 /by1000`)
	wantCode(t, r, 0)
	if want := "top\nkept\nnew\n"; r.Stdout != want {
		t.Errorf("the container sees\n%s\nwant\n%s", r.Stdout, want)
	}

	wantSameSnapshot(t, "layers", before, snapshot(t, filepath.Join(s.dir, "layers")))
	if b, err := os.ReadFile(filepath.Join(upper, "etc/motd")); err != nil || string(b) != "top\nmore\n" {
		t.Errorf("upper/etc/motd = %q, %v; want the copied-up file with the append", b, err)
	}
	if uid, _ := hostOwner(t, filepath.Join(upper, "written")); uid != env.uid {
		t.Errorf("a file of container root is uid %d in upper, want the caller's %d", uid, env.uid)
	}
	if uid, _ := hostOwner(t, filepath.Join(upper, "by1000")); uid != subUID+999 {
		t.Errorf("a file of container uid 1000 is uid %d in upper, want %d", uid, subUID+999)
	}
	wantWhiteout(t, filepath.Join(upper, "keep/old"))

	t.Run("read-only", func(t *testing.T) {
		before := snapshot(t, upper)
		r := overlayRun(t, merged, layers, []string{"--read-only"}, "cat /written; touch /etc/motd")
		wantFailure(t, r, "Read-only file system")
		if r.Stdout != "written\n" {
			t.Errorf("a second container on the same upper sees %q, want the first one's write", r.Stdout)
		}
		wantSameSnapshot(t, "upper", before, snapshot(t, upper))
	})
}

func wantWhiteout(t *testing.T, p string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatalf("no whiteout for a deleted file: %v", err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != 0 {
		t.Errorf("%s: mode %o rdev %d, want a whiteout (char 0/0)", p, st.Mode, st.Rdev)
	}
}

// A layer's symlink is an object inside the overlay, resolved inside the
// container: /etc -> / leads to the container's own root, not the host's.
func TestOverlaySymlinkLayer(t *testing.T) {
	s := newOverlayStore(t)
	bottom := s.bottomLayer(t)
	evil := s.layer("evil")
	mkUserDir(t, evil)
	userSymlink(t, "/", filepath.Join(evil, "etc"))
	merged := s.container(t, "c1")

	r := overlayRun(t, merged, []string{evil, bottom}, nil,
		"readlink /etc; test -e /etc/os-release && echo host /etc/os-release; test -x /etc/usr/bin/probe && echo own root")
	wantCode(t, r, 0)
	if want := "/\nown root\n"; r.Stdout != want {
		t.Errorf("the container sees\n%s\nwant\n%s", r.Stdout, want)
	}
}

// Layer paths longer than one fsconfig value (255 bytes), and more of
// them than one page of mount(2) options holds, are given relative to the
// store: a store deep in a home directory with an image of many layers.
func TestOverlayLongLayerPaths(t *testing.T) {
	s := overlayStore{dir: filepath.Join(userTempDir(t), strings.Repeat("d", 200))}
	mkUserDir(t, s.dir)
	layers := []string{}
	for i := range 40 {
		l := s.layer(fmt.Sprintf("%064x", i))
		writeFile(t, filepath.Join(l, "seen", strconv.Itoa(i)), "")
		layers = append(layers, l)
	}
	layers = append(layers, s.bottomLayer(t))
	if len(layers[0]) <= 255 || len(strings.Join(layers, ":")) <= 4096 {
		t.Fatalf("layer paths too short for the test: %d bytes each, %d in all", len(layers[0]), len(strings.Join(layers, ":")))
	}
	r := overlayRun(t, s.container(t, "c1"), layers, nil, "ls /seen | wc -l")
	wantCode(t, r, 0)
	if got := strings.TrimSpace(r.Stdout); got != "40" {
		t.Errorf("the container sees %s layers' files, want 40", got)
	}
}

// A layer path overlay's options cannot carry is refused before anything
// is mounted, with one line naming it.
func TestOverlayRefusesBadLayerPath(t *testing.T) {
	s := newOverlayStore(t)
	bad := s.layer("a,upperdir=x")
	mkUserDir(t, bad)
	merged := s.container(t, "c1")
	r := overlayRun(t, merged, []string{bad}, nil, "true")
	wantCode(t, r, 125)
	wantOneLineError(t, r, "overlay rootfs", "contains ','")
	if strings.Contains(r.Stderr, "panic") {
		t.Errorf("nook panicked: %s", r.Stderr)
	}
}
