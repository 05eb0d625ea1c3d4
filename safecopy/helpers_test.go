package safecopy

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A tree is written as lines: "d/ 0755" a directory, "f 0644 text" a
// file, "l -> target" a symlink, "p| 0600" a FIFO. Directories get their
// modes last, so that read-only ones can have entries.
func build(t *testing.T, dir string, lines ...string) {
	t.Helper()
	var dirs []string
	for _, l := range lines {
		if strings.HasSuffix(strings.Fields(l)[0], "/") {
			dirs = append(dirs, l)
		}
		if err := buildOne(dir, l, false); err != nil {
			t.Fatalf("build %q: %v", l, err)
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := buildOne(dir, dirs[i], true); err != nil {
			t.Fatalf("build %q: %v", dirs[i], err)
		}
	}
}

func buildOne(dir, line string, chmodDir bool) error {
	name, rest, _ := strings.Cut(line, " ")
	p := filepath.Join(dir, strings.TrimRight(name, "/|"))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if target, ok := strings.CutPrefix(rest, "-> "); ok {
		return os.Symlink(target, p)
	}
	modeText, text, _ := strings.Cut(rest, " ")
	var mode uint32
	if _, err := fmt.Sscanf(modeText, "%o", &mode); err != nil {
		return err
	}
	var err error
	switch {
	case chmodDir:
	case strings.HasSuffix(name, "/"):
		return os.Mkdir(p, 0o700)
	case strings.HasSuffix(name, "|"):
		err = unix.Mkfifo(p, 0o600)
	default:
		err = os.WriteFile(p, []byte(text), 0o600)
	}
	if err != nil {
		return err
	}
	return os.Chmod(p, fs.FileMode(mode&0o777)|modeBits(mode))
}

func modeBits(m uint32) fs.FileMode {
	var out fs.FileMode
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}

// describe lists dir's tree in build's notation, sorted.
func describe(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		mode := st.Mode & 0o7777
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			out = append(out, fmt.Sprintf("%s/ %04o", rel, mode))
		case unix.S_IFLNK:
			target, _ := os.Readlink(p)
			out = append(out, fmt.Sprintf("%s -> %s", rel, target))
		case unix.S_IFIFO:
			out = append(out, fmt.Sprintf("%s| %04o", rel, mode))
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s %04o %s", rel, mode, b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func wantTree(t *testing.T, dir string, want ...string) {
	t.Helper()
	sort.Strings(want)
	got := describe(t, dir)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tree %s:\n%s\nwant:\n%s", dir, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// fakeContainer is a container root in a temporary directory, beside a
// host directory holding a sentinel that no copy may touch.
type fakeContainer struct {
	root     *Root
	dir      string // the root's directory
	outside  string // a host directory next to it
	sentinel string // a file in outside
}

func newFakeContainer(t *testing.T) *fakeContainer {
	t.Helper()
	base := tempDir(t)
	c := &fakeContainer{dir: filepath.Join(base, "root"), outside: filepath.Join(base, "outside")}
	c.sentinel = filepath.Join(c.outside, "sentinel")
	build(t, base, "root/ 0755", "outside/ 0755", "outside/sentinel 0644 keep")
	r, err := OpenRoot(c.dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	c.root = r
	return c
}

// untouched fails the test if anything outside the root changed.
func (c *fakeContainer) untouched(t *testing.T) {
	t.Helper()
	wantTree(t, c.outside, "sentinel 0644 keep")
}

// tempDir is t.TempDir, made removable again at the end for a caller
// that is not root, whatever read-only directories a test left in it.
func tempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	return dir
}

func hostDir(t *testing.T, lines ...string) string {
	t.Helper()
	dir := tempDir(t)
	build(t, dir, lines...)
	return dir
}

// asTestUser, called as root, runs test again in a copy of the test binary
// as the unprivileged user nooktest (.ci/setup makes it) and reports true:
// the caller is done. Called as anyone else it reports false.
func asTestUser(t *testing.T, test string) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	u, err := user.Lookup("nooktest")
	if err != nil {
		t.Fatalf("no user nooktest to run %s as (.ci/setup makes it): %v", test, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// t.TempDir's parent is root's alone: the copy goes where nooktest
	// can reach it.
	dir, err := os.MkdirTemp("", "safecopy-as-user-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "safecopy.test")
	self, err := os.ReadFile("/proc/self/exe")
	if err == nil {
		err = os.WriteFile(bin, self, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+test+"$", "-test.v")
	cmd.Dir, cmd.Env = "/", []string{"PATH=/usr/bin:/bin", "TMPDIR=/tmp"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("%s as nooktest: %v\n%s", test, err, out)
	}
	return true
}
