package layer

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const usernsChildEnv = "NOOK_LAYER_USERNS_CHILD"

// TestUnpackInAUserNamespace re-executes the test binary in a user
// namespace mapping only the caller, as uid 0, the way nook unpacks (with
// a smaller map): owners inside the map are applied, one outside it is a
// clear error, and the files belong to the caller on the host.
func TestUnpackInAUserNamespace(t *testing.T) {
	if dir := os.Getenv(usernsChildEnv); dir != "" {
		usernsChild(t, dir)
		return
	}
	base := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestUnpackInAUserNamespace$", "-test.v")
	cmd.Env = append(os.Environ(), usernsChildEnv+"="+base)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child in a user namespace: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "layer-userns-child-done") {
		t.Fatalf("child did not run the checks:\n%s", out)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(base, "ok", "d", "f"), &st); err != nil {
		t.Fatal(err)
	}
	if int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
		t.Errorf("d/f owned by %d:%d on the host, want the caller %d:%d", st.Uid, st.Gid, os.Getuid(), os.Getgid())
	}
}

func usernsChild(t *testing.T, base string) {
	unpack := func(name string, entries ...entry) (string, error) {
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var notes []string
		_, err := Unpack(bytes.NewReader(tarball(t, entries...)), dir, "l", Options{Chown: true, Notes: func(s string) { notes = append(notes, s) }})
		if len(notes) > 0 {
			t.Errorf("%s: notes %q", name, notes)
		}
		return dir, err
	}
	capability := string([]byte{1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	dir, err := unpack("ok",
		dirE("d/", 0o755),
		withXattrs(fileE("d/f", "x", 0o4755), "security.capability", capability),
		symE("d/l", "f"),
		fileE("d/.wh.gone", "", 0),
		fileE("d/.wh..wh..opq", "", 0),
	)
	if err != nil {
		t.Fatalf("Unpack as uid 0: %v", err)
	}
	if got := describe(t, filepath.Join(dir, "d/f")); got != `file 4755 "x"` {
		t.Errorf("d/f: %s", got)
	}
	if _, err := getxattr(filepath.Join(dir, "d/f"), "security.capability"); err != nil {
		t.Errorf("security.capability: %v", err)
	}
	if userXattrs(t, base) {
		if v, err := getxattr(filepath.Join(dir, "d"), OpaqueXattr); v != "y" {
			t.Errorf("d: %s = %q, %v", OpaqueXattr, v, err)
		}
	}
	if got := describe(t, filepath.Join(dir, "d/gone")); got != "char 0:0" {
		t.Errorf("d/gone: %s", got)
	}

	for _, c := range []struct {
		name     string
		uid, gid int
		want     string
	}{
		{"uid", 70000, 0, `layer l: entry "x": uid 70000 is not mapped: the image needs more subordinate ids`},
		{"gid", 0, 1000, `layer l: entry "x": gid 1000 is not mapped: the image needs more subordinate ids`},
	} {
		for _, e := range []entry{fileE("x", "", 0o644), dirE("x/", 0o755), symE("x", "y")} {
			e.hdr.Uid, e.hdr.Gid = c.uid, c.gid
			name := fmt.Sprintf("%s-%c", c.name, e.hdr.Typeflag)
			if _, err := unpack(name, e); err == nil || err.Error() != c.want {
				t.Errorf("%s: err = %v, want %q", name, err, c.want)
			}
		}
	}
	fmt.Println("layer-userns-child-done")
}
