package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// containerDirs lists $store/containers.
func (e *imageEnv) containerDirs() []string {
	e.t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.store, "containers"))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var out []string
	for _, d := range ents {
		out = append(out, d.Name())
	}
	return out
}

// The copy driver (what a host without rootless overlayfs gets) shows the
// same merged tree as the overlay, and --rm removes the copy.
func TestImageCopyDriver(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Whiteout.Ref(t)
	e.pull(ref)
	writeUserFile(t, filepath.Join(e.store, "driver"), "copy\n")
	r := e.ok("run", "--rm", ref, "sh", "-c", "find /dir /opq | sort; test -e /gone && echo gone-present; cat /dir/b/inner /dir/sub/c2 /opq/new; awk '$5 == \"/\"' /proc/self/mountinfo")
	want := strings.Join([]string{"/dir", "/dir/b", "/dir/b/inner", "/dir/d", "/dir/sub", "/dir/sub/c2", "/opq", "/opq/new"}, "\n") + "\ninnerc2new"
	if !strings.HasPrefix(r.Stdout, want) {
		t.Errorf("merged tree with the copy driver:\n%s\nwant:\n%s", r.Stdout, want)
	}
	if strings.Contains(r.Stdout, " - overlay ") {
		t.Errorf("the copy driver's root is an overlay: %s", r.Stdout)
	}
	if got := e.containerDirs(); len(got) != 0 {
		t.Errorf("--rm left %v", got)
	}
	if r := e.ok("info"); !strings.Contains(r.Stdout, "copy (each container gets a copy") {
		t.Errorf("nook info does not show the copy driver:\n%s", r.Stdout)
	}
}

// The driver is chosen and announced once per store; nook info shows it.
func TestImageDriverAnnouncedOnce(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Busybox.Ref(t)
	e.pull(ref)
	first := e.ok("run", "--rm", ref, "true")
	if !strings.Contains(first.Stderr, "kernel overlayfs") {
		t.Errorf("first run does not say which driver: %q", first.Stderr)
	}
	if second := e.ok("run", "--rm", ref, "true"); second.Stderr != "" {
		t.Errorf("second run says %q", second.Stderr)
	}
	if r := e.ok("info"); !strings.Contains(r.Stdout, "overlay (kernel overlayfs in the user namespace)") {
		t.Errorf("nook info:\n%s", r.Stdout)
	}
}

// Without --rm the container's changes stay under the store, owned by the
// ids that made them, and keep the image from plain rmi; with --rm even
// files of other ids in private directories are gone.
func TestImageContainerChanges(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Busybox.Ref(t)
	e.pull(ref)
	script := "mkdir -p /tmp/own/deep && echo data > /tmp/own/deep/f && chown -R 1000:1000 /tmp/own && chmod 700 /tmp/own /tmp/own/deep"
	e.ok("run", "--rm", ref, "sh", "-c", script)
	if got := e.containerDirs(); len(got) != 0 {
		t.Fatalf("--rm left %v", got)
	}
	e.ok("run", ref, "sh", "-c", script)
	dirs := e.containerDirs()
	if len(dirs) != 1 {
		t.Fatalf("containers: %v, want one", dirs)
	}
	f := filepath.Join(e.store, "containers", dirs[0], "upper", "tmp", "own", "deep", "f")
	st, err := os.Stat(f)
	if err != nil {
		t.Fatalf("the container's change is not in its upper directory: %v", err)
	}
	subUID, _ := subordinate(t, "/etc/subuid")
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != subUID+999 {
		t.Errorf("%s owned by %d, want %d (container uid 1000)", f, uid, subUID+999)
	}
	r := e.nook("rmi", ref)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stderr, "in use by container "+dirs[0][:12]) {
		t.Errorf("rmi of an image in use: %q", r.Stderr)
	}
	e.ok("rmi", "-f", ref)
	if len(e.layerDirs()) != len(s.Busybox.ChainIDs) {
		t.Errorf("rmi -f removed layers a container still uses: %v", e.layerDirs())
	}
	r = e.nook("run", "--rm", "--pull=never", ref, "true")
	wantCode(t, r, 125)
	if !strings.Contains(r.Stderr, "not in the store and --pull=never") {
		t.Errorf("run --pull=never of a removed image: %q", r.Stderr)
	}
}
