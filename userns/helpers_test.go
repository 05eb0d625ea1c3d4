package userns

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// writeScript puts an executable /bin/sh script named name into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// rendezvous is a fake helper that records its arguments, then waits (up to
// 5 s) for the other helper to have started: run one after the other, the
// first would give up and fail, so success proves they ran concurrently.
func rendezvous(dir, self, other string) string {
	return `printf '%s\n' "$@" > '` + dir + `/` + self + `.args'
touch '` + dir + `/` + self + `.started'
i=0
while [ ! -e '` + dir + `/` + other + `.started' ]; do
	i=$((i+1))
	if [ $i -gt 100 ]; then echo "` + self + `: ` + other + ` did not run at the same time" >&2; exit 1; fi
	sleep 0.05
done
`
}

func TestApplyRunsBothConcurrentlyWithTriples(t *testing.T) {
	dir := t.TempDir()
	h := Helpers{
		NewUIDMap: writeScript(t, dir, "newuidmap", rendezvous(dir, "newuidmap", "newgidmap")),
		NewGIDMap: writeScript(t, dir, "newgidmap", rendezvous(dir, "newgidmap", "newuidmap")),
	}
	uids := maps(0, 1000, 1, 1, 100000, 65536)
	gids := maps(0, 1001, 1, 1, 200000, 10, 11, 300000, 5)
	if err := h.Apply(1234, uids, gids); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for name, want := range map[string]string{
		"newuidmap": "1234\n0\n1000\n1\n1\n100000\n65536\n",
		"newgidmap": "1234\n0\n1001\n1\n1\n200000\n10\n11\n300000\n5\n",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name+".args"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s args = %q, want %q", name, got, want)
		}
	}
}

func TestApplyErrors(t *testing.T) {
	const (
		ok       = "exit 0\n"
		eperm    = "echo 'newuidmap: write to uid_map failed: Operation not permitted' >&2; exit 1\n"
		gidRange = "echo 'newgidmap: gid range [1-65537) -> [100000-165537) not allowed' >&2; exit 1\n"
		usage    = "printf 'usage: newuidmap <pid> ...\\n\\n   more help\\n' >&2; exit 1\n"
		silent   = "exit 3\n"
	)
	tests := []struct {
		name     string
		uid, gid string // script bodies; "" leaves the helper missing
		want     string
	}{
		{"uid helper fails", eperm, ok,
			"newuidmap 1234: newuidmap: write to uid_map failed: Operation not permitted"},
		{"gid helper fails", ok, gidRange,
			"newgidmap 1234: newgidmap: gid range [1-65537) -> [100000-165537) not allowed"},
		{"both fail, one line", eperm, gidRange,
			"newuidmap 1234: newuidmap: write to uid_map failed: Operation not permitted; newgidmap 1234: newgidmap: gid range [1-65537) -> [100000-165537) not allowed"},
		{"multi-line stderr joined", usage, ok,
			"newuidmap 1234: usage: newuidmap <pid> ...; more help"},
		{"no stderr", silent, ok, "newuidmap 1234: exit status 3"},
		{"missing helper", "", ok,
			"newuidmap 1234: not found in $PATH, /usr/bin, /bin, /usr/sbin or /sbin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var h Helpers
			if tt.uid != "" {
				h.NewUIDMap = writeScript(t, dir, "newuidmap", tt.uid)
			}
			if tt.gid != "" {
				h.NewGIDMap = writeScript(t, dir, "newgidmap", tt.gid)
			}
			err := h.Apply(1234, Identity(0), Identity(0))
			if err == nil {
				t.Fatal("Apply succeeded")
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
			var he *HelperError
			if !errors.As(err, &he) {
				t.Errorf("error %T is not a *HelperError", err)
			}
		})
	}
}

func TestApplyNotExecutable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "newuidmap")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Helpers{NewUIDMap: path}.Apply(1234, Identity(0), nil)
	if !errors.Is(err, os.ErrPermission) {
		t.Errorf("got %v, want a permission error", err)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "newuidmap 1234: ") {
		t.Errorf("error %q does not name the helper and pid", err)
	}
}

func TestApplySkipsEmptyMapping(t *testing.T) {
	dir := t.TempDir()
	h := Helpers{NewGIDMap: writeScript(t, dir, "newgidmap", "touch '"+dir+"/ran'\n")}
	if err := h.Apply(1234, nil, Identity(0)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err != nil {
		t.Errorf("newgidmap did not run: %v", err)
	}
	if err := (Helpers{}).Apply(1234, nil, nil); err != nil {
		t.Errorf("Apply with nothing to map: %v", err)
	}
}

func TestApplyDoesNotLeakDescriptors(t *testing.T) {
	// A descriptor without O_CLOEXEC, as nook might inherit from its parent.
	const leaky = 200
	devnull, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup2(devnull, leaky); err != nil {
		t.Fatal(err)
	}
	syscall.Close(devnull)
	defer syscall.Close(leaky)
	if flags, err := unix.FcntlInt(uintptr(leaky), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC != 0 {
		t.Fatalf("setup: fd %d flags %#x, %v; want inheritable", leaky, flags, err)
	}

	dir := t.TempDir()
	h := Helpers{NewUIDMap: writeScript(t, dir, "newuidmap", "ls /proc/$$/fd > '"+dir+"/fds'\n")}
	if err := h.Apply(1234, Identity(0), nil); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	out, err := os.ReadFile(filepath.Join(dir, "fds"))
	if err != nil {
		t.Fatal(err)
	}
	if fds := strings.Fields(string(out)); slices.Contains(fds, "200") {
		t.Errorf("helper inherited fd %d (open fds: %v)", leaky, fds)
	}
}

func TestCloexecFromProc(t *testing.T) {
	fds := make([]int, 2)
	if err := syscall.Pipe(fds); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	if err := cloexecFromProc(3); err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("fd %d: flags %#x, %v; want FD_CLOEXEC", fd, flags, err)
		}
	}
}

func TestFindIn(t *testing.T) {
	dir := t.TempDir()
	exe := writeScript(t, filepath.Join(mkdir(t, dir, "exe")), "newuidmap", "")
	writeScript(t, mkdir(t, dir, "plain"), "newuidmap", "")
	os.Chmod(filepath.Join(dir, "plain", "newuidmap"), 0o644)
	mkdir(t, mkdir(t, dir, "isdir"), "newuidmap")
	t.Chdir(dir)

	tests := []struct {
		name string
		dirs []string
		want string
	}{
		{"found", []string{filepath.Join(dir, "exe")}, exe},
		{"first match wins", []string{filepath.Join(dir, "exe"), "/usr/bin"}, exe},
		{"not executable skipped", []string{filepath.Join(dir, "plain"), filepath.Join(dir, "exe")}, exe},
		{"directory skipped", []string{filepath.Join(dir, "isdir"), filepath.Join(dir, "exe")}, exe},
		{"relative entry ignored", []string{"exe", ""}, ""},
		{"missing", []string{filepath.Join(dir, "nope")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findIn(tt.dirs, "newuidmap"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFindHelpersPrefersPath(t *testing.T) {
	dir := t.TempDir()
	uid := writeScript(t, dir, "newuidmap", "")
	gid := writeScript(t, dir, "newgidmap", "")
	t.Setenv("PATH", dir)
	if got, want := FindHelpers(), (Helpers{uid, gid}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	p := filepath.Join(parent, name)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOneLine(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"newuidmap: failed\n", "newuidmap: failed"},
		{"  a  \r\n\n\tb\n", "a; b"},
		{"no newline", "no newline"},
		{strings.Repeat("é", 400), strings.Repeat("é", maxMessage/2) + "..."},
	}
	for _, tt := range tests {
		if got := oneLine([]byte(tt.in)); got != tt.want {
			t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
