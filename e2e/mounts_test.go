package e2e

// What `nook run` gives the command: its terminal, environment, identity,
// filesystem (volumes, tmpfs, /dev, masked and read-only kernel paths,
// generated /etc files) and privileges, seen from inside the container and,
// where it matters, from the host.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ctrSh runs script with the rootfs's /bin/sh in a container on rootfs,
// nook's flags first.
func ctrSh(t *testing.T, rootfs string, flags []string, script string) result {
	t.Helper()
	args := append([]string{"run", "--rm", "--rootfs", rootfs}, flags...)
	args = append(args, "--", "/bin/sh", "-c", script)
	return nook(t, args...)
}

// wantOneLineError fails unless r's stderr is a single line naming each of
// mentions: what a user sees when nook refuses.
func wantOneLineError(t *testing.T, r result, mentions ...string) {
	t.Helper()
	msg := strings.TrimRight(r.Stderr, "\n")
	if msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("want a one-line error on stderr, got %q", r.Stderr)
	}
	for _, m := range mentions {
		if !strings.Contains(msg, m) {
			t.Errorf("error %q does not mention %q", msg, m)
		}
	}
}

// wantFailure fails unless r is a command inside the container that failed
// with a message containing reason (say "Read-only file system").
func wantFailure(t *testing.T, r result, reason string) {
	t.Helper()
	if r.Code == 0 || r.Signal != 0 {
		t.Errorf("want a failure (%s), got %v", reason, r)
	} else if !strings.Contains(r.Stderr, reason) {
		t.Errorf("failed, but not with %q: %v", reason, r)
	}
}

// lines is the output split into lines, without the final newline.
func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// writeUserFile writes a file the test user owns.
func writeUserFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(path, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
}

// mkUserDir makes a directory the test user owns.
func mkUserDir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
}

// userSymlink plants a symlink the test user owns, as a hostile image
// would ship it.
func userSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.RemoveAll(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// snapshot records everything under dir (names, types, sizes, contents,
// modification times), to tell whether anything there changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + string(b)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		}
		m[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func wantSameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("%s: %s disappeared", what, p)
		} else if a != b {
			t.Errorf("%s: %s changed:\n  before %q\n  after  %q", what, p, b, a)
		}
	}
	for p, a := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared (%q)", what, p, a)
		}
	}
}

// A shell on a real terminal is usable: it runs what is typed, its
// terminal is the container's own pty, it sees the terminal's size and its
// changes, and its exit status is nook's.
func TestRunPtyShell(t *testing.T) {
	// A private rootfs: the shell may save its history in /root.
	p := nookPty(t, "run", "--rm", "-it", "--rootfs", newRootfs(t), "--", "/bin/sh")
	p.Write("echo hi; tty\n")
	p.Expect("\nhi\r\n", 10*time.Second)
	p.Expect("/dev/pts/0\r\n", 10*time.Second)

	p.Write("stty size\n")
	p.Expect("\n24 80\r\n", 10*time.Second)

	// nook passes the new size on when its own terminal's changes; the
	// shell is asked again until it sees it, within a bound.
	p.Resize(40, 120)
	deadline := time.Now().Add(10 * time.Second)
	for seen := false; !seen; {
		if time.Now().After(deadline) {
			t.Fatalf("the shell never saw the terminal's new size 40 120; terminal:\n%s", p.Output())
		}
		p.Write("stty size\n")
		time.Sleep(200 * time.Millisecond)
		seen = strings.Contains(p.Output(), "\n40 120\r\n")
	}

	p.Write("exit 5\n")
	wantCode(t, p.Wait(), 5)
}

// -e KEY=VALUE, -e KEY (the caller's value) and --env-file (comments and
// blank lines ignored) set the environment; a later -e overrides the file;
// nothing else of the caller's environment gets in.
func TestRunEnvironmentFlags(t *testing.T) {
	dir := userTempDir(t)
	envFile := filepath.Join(dir, "env")
	writeUserFile(t, envFile, "# a comment\n\nFROMFILE=file value\n   \n# OTHER=commented\nOVERRIDDEN=from-file\n")
	cmd := nookCmd(t, "run", "--rm", "--rootfs", rootfs(t),
		"--env-file", envFile, "-e", "A=1", "-e", "FROMCALLER", "-e", "UNSETINCALLER", "-e", "OVERRIDDEN=from-flag",
		"--", "/bin/env")
	cmd.Env = append(cmd.Env, "FROMCALLER=caller value", "NOTASKEDFOR=leak")
	r := run(t, cmd)
	wantCode(t, r, 0)
	got := lines(r.Stdout)
	for _, want := range []string{"A=1", "FROMCALLER=caller value", "FROMFILE=file value", "OVERRIDDEN=from-flag"} {
		if !slices.Contains(got, want) {
			t.Errorf("environment lacks %q:\n%s", want, r.Stdout)
		}
	}
	for _, e := range got {
		k, _, _ := strings.Cut(e, "=")
		switch k {
		case "OTHER", "NOTASKEDFOR", "UNSETINCALLER", "#", "USER", "LOGNAME", "XDG_RUNTIME_DIR":
			t.Errorf("environment has %q, which was not asked for:\n%s", e, r.Stdout)
		}
		if e == "OVERRIDDEN=from-file" {
			t.Errorf("-e did not override --env-file:\n%s", r.Stdout)
		}
	}
}

// -w sets the working directory, creating it in the rootfs if missing.
func TestRunWorkdirFlag(t *testing.T) {
	root := newRootfs(t)
	r := ctrSh(t, root, []string{"-w", "/home/user"}, "pwd")
	wantCode(t, r, 0)
	if got := strings.TrimSpace(r.Stdout); got != "/home/user" {
		t.Errorf("pwd = %q, want /home/user", got)
	}
	r = ctrSh(t, root, []string{"-w", "/some/new/dir"}, "pwd; touch here")
	wantCode(t, r, 0)
	if got := strings.TrimSpace(r.Stdout); got != "/some/new/dir" {
		t.Errorf("pwd = %q, want /some/new/dir", got)
	}
	if _, err := os.Stat(filepath.Join(root, "some/new/dir/here")); err != nil {
		t.Errorf("the working directory is not the rootfs's /some/new/dir: %v", err)
	}
}

// -u takes a uid, a name from the rootfs's /etc/passwd (with its groups
// from /etc/group) or UID:GID; an unknown name or an unmapped uid is a
// one-line error with exit status 125.
func TestRunUserFlag(t *testing.T) {
	for _, tc := range []struct {
		user, uid, gid string
		groups         []string // among id -G
	}{
		{"1000", "1000", "1000", []string{"1000", "10"}},
		{"user", "1000", "1000", []string{"1000", "10"}},
		{"1000:10", "1000", "10", []string{"10"}},
		{"root", "0", "0", []string{"0"}},
		{"nobody", "65534", "65534", nil},
	} {
		t.Run(tc.user, func(t *testing.T) {
			r := ctrSh(t, rootfs(t), []string{"-u", tc.user}, "id -u; id -g; id -G")
			wantCode(t, r, 0)
			got := lines(r.Stdout)
			if len(got) != 3 || got[0] != tc.uid || got[1] != tc.gid {
				t.Fatalf("id -u, -g, -G: %q; want uid %s gid %s", got, tc.uid, tc.gid)
			}
			for _, g := range tc.groups {
				if !slices.Contains(strings.Fields(got[2]), g) {
					t.Errorf("groups %q lack %s", got[2], g)
				}
			}
		})
	}
	t.Run("named user's groups", func(t *testing.T) {
		r := ctrSh(t, rootfs(t), []string{"-u", "user"}, "id")
		wantCode(t, r, 0)
		for _, want := range []string{"uid=1000(user)", "gid=1000(user)", "10(wheel)"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("id: %q lacks %q", r.Stdout, want)
			}
		}
	})
	t.Run("unknown name", func(t *testing.T) {
		r := ctrSh(t, rootfs(t), []string{"-u", "nosuchuser"}, "id")
		wantCode(t, r, 125)
		wantOneLineError(t, r, "nosuchuser")
	})
	t.Run("unmapped uid", func(t *testing.T) {
		r := ctrSh(t, rootfs(t), []string{"-u", "70000"}, "id")
		wantCode(t, r, 125)
		wantOneLineError(t, r, "70000", "0-65536")
	})
}

// A volume binds a host directory: what the container writes reaches the
// host, owned by the user who ran nook.
func TestRunVolumeReadWrite(t *testing.T) {
	src := userTempDir(t)
	writeUserFile(t, filepath.Join(src, "in"), "from the host\n")
	r := ctrSh(t, newRootfs(t), []string{"-v", src + ":/data"}, "cat /data/in && echo from the container > /data/out")
	wantCode(t, r, 0)
	if r.Stdout != "from the host\n" {
		t.Errorf("the container read %q from the volume", r.Stdout)
	}
	b, err := os.ReadFile(filepath.Join(src, "out"))
	if err != nil || string(b) != "from the container\n" {
		t.Fatalf("the host has %q, %v; want the container's write", b, err)
	}
	if st := statOwner(t, filepath.Join(src, "out")); st != env.uid {
		t.Errorf("the file the container's root wrote is owned by uid %d on the host, want %d", st, env.uid)
	}
}

// :ro volumes cannot be written, by the container's root either.
func TestRunVolumeReadOnly(t *testing.T) {
	src := userTempDir(t)
	writeUserFile(t, filepath.Join(src, "in"), "data\n")
	before := snapshot(t, src)
	r := ctrSh(t, newRootfs(t), []string{"-v", src + ":/data:ro"}, "cat /data/in; touch /data/new")
	wantFailure(t, r, "Read-only file system")
	if r.Stdout != "data\n" {
		t.Errorf("the container read %q from the read-only volume", r.Stdout)
	}
	r = ctrSh(t, newRootfs(t), []string{"-v", src + ":/data:ro"}, "echo changed > /data/in")
	wantFailure(t, r, "Read-only file system")
	wantSameSnapshot(t, "read-only volume", before, snapshot(t, src))
}

// A volume whose host path is missing is refused, naming the path; nothing
// is created on the host.
func TestRunVolumeMissingSource(t *testing.T) {
	missing := filepath.Join(userTempDir(t), "no-such-dir")
	r := ctrSh(t, rootfs(t), []string{"-v", missing + ":/data"}, "true")
	wantCode(t, r, 125)
	wantOneLineError(t, r, missing)
	if _, err := os.Lstat(missing); err == nil {
		t.Errorf("nook created the missing volume source %s", missing)
	}
}

// A file can be a volume, over a file of the rootfs or at a new path.
func TestRunVolumeFile(t *testing.T) {
	dir := userTempDir(t)
	file := filepath.Join(dir, "conf")
	writeUserFile(t, file, "setting=1\n")
	root := newRootfs(t)
	passwd, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	r := ctrSh(t, root, []string{"-v", file + ":/etc/x:ro", "-v", file + ":/etc/passwd:ro"},
		"test -f /etc/x && cat /etc/x /etc/passwd")
	wantCode(t, r, 0)
	if r.Stdout != "setting=1\nsetting=1\n" {
		t.Errorf("the container read %q, want the host file twice", r.Stdout)
	}
	r = ctrSh(t, root, []string{"-v", file + ":/etc/x:ro"}, "echo changed > /etc/x")
	wantFailure(t, r, "Read-only file system")
	if b, _ := os.ReadFile(file); string(b) != "setting=1\n" {
		t.Errorf("the host file became %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); string(b) != string(passwd) {
		t.Errorf("the rootfs's /etc/passwd changed under the volume: %q", b)
	}
}

// A rootfs's symlinks are followed inside the rootfs, never on the host: a
// volume whose target passes through a link planted to point at a host
// directory lands in the rootfs, and nothing is created or changed in the
// host directory.
func TestRunVolumeTargetSymlinkStaysInRootfs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		link   string // in the rootfs
		target func(host string) string
		dst    string // the volume's target
		inRoot func(host string) string
	}{
		{
			name: "absolute parent", link: "escape",
			target: func(host string) string { return host },
			dst:    "/escape/x",
			inRoot: func(host string) string { return host + "/x" },
		},
		{
			name: "relative parent climbing out", link: "etc/escape",
			target: func(host string) string { return strings.Repeat("../", 20) + strings.TrimPrefix(host, "/") },
			dst:    "/etc/escape/x",
			inRoot: func(host string) string { return host + "/x" },
		},
		{
			name: "last component", link: "escape",
			target: func(host string) string { return host },
			dst:    "/escape",
			inRoot: func(host string) string { return host },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := userTempDir(t)
			writeUserFile(t, filepath.Join(host, "sentinel"), "host\n")
			before := snapshot(t, host)
			src := userTempDir(t)
			writeUserFile(t, filepath.Join(src, "f"), "volume\n")
			root := newRootfs(t)
			userSymlink(t, tc.target(host), filepath.Join(root, tc.link))

			r := ctrSh(t, root, []string{"-v", src + ":" + tc.dst},
				"cat "+tc.dst+"/f && echo written > "+tc.dst+"/w && ls -A "+tc.dst)
			wantCode(t, r, 0)
			if r.Stdout != "volume\nf\nw\n" {
				t.Errorf("the volume at %s shows %q, want its own files", tc.dst, r.Stdout)
			}
			wantSameSnapshot(t, "host directory "+host, before, snapshot(t, host))
			if b, err := os.ReadFile(filepath.Join(src, "w")); err != nil || string(b) != "written\n" {
				t.Errorf("the write did not reach the volume: %q, %v", b, err)
			}
			// The mount point was made where the link leads inside the rootfs.
			if fi, err := os.Stat(filepath.Join(root, tc.inRoot(host))); err != nil || !fi.IsDir() {
				t.Errorf("no mount point at %s inside the rootfs: %v", tc.inRoot(host), err)
			}
		})
	}
}

// A rootfs whose /proc, /dev, /sys or generated /etc file is a symlink to a
// host path cannot make nook mount or write there: the host path stays as
// it was. nook either refuses (exit 125, one line) or follows the link
// inside the rootfs, and then the mount works at the link.
func TestRunSystemPathSymlinkStaysInRootfs(t *testing.T) {
	const hostname = "symlinkbox"
	for _, tc := range []struct {
		path  string // in the container
		dir   bool
		check string // run when nook starts the container
	}{
		{"/proc", true, "grep -q '^Pid:' /proc/self/status"},
		{"/dev", true, "test -c /dev/null && echo ok > /dev/null"},
		{"/sys", true, "test -d /sys/kernel"},
		{"/etc/hosts", false, "grep -q " + hostname + " /etc/hosts"},
		{"/etc/hostname", false, "grep -qx " + hostname + " /etc/hostname"},
		{"/etc/resolv.conf", false, "test -r /etc/resolv.conf"},
	} {
		for _, kind := range []string{"existing host path", "missing host path, relative link"} {
			t.Run(tc.path+" "+kind, func(t *testing.T) {
				host := userTempDir(t)
				writeUserFile(t, filepath.Join(host, "sentinel"), "host\n")
				writeUserFile(t, filepath.Join(host, "file"), "host file\n")
				before := snapshot(t, host)
				root := newRootfs(t)
				target := host
				if !tc.dir {
					target = filepath.Join(host, "file")
				}
				if kind != "existing host path" {
					depth := strings.Count(strings.TrimPrefix(tc.path, "/"), "/")
					target = strings.Repeat("../", depth+15) + strings.TrimPrefix(filepath.Join(host, "missing"), "/")
				}
				userSymlink(t, target, filepath.Join(root, tc.path))

				r := ctrSh(t, root, []string{"--hostname", hostname}, tc.check)
				switch r.Code {
				case 0:
				case 125:
					t.Logf("nook refused: %s", strings.TrimSpace(r.Stderr))
					wantOneLineError(t, r)
				default:
					t.Errorf("want the container to work (exit 0) or nook to refuse (exit 125), got %v", r)
				}
				wantSameSnapshot(t, "host path "+host, before, snapshot(t, host))
				if got, err := os.Readlink(filepath.Join(root, tc.path)); err != nil || got != target {
					t.Errorf("the rootfs's link %s became %q, %v", tc.path, got, err)
				}
			})
		}
	}
}

// --read-only makes / and /tmp unwritable, unless a tmpfs is put there.
func TestRunReadOnlyRoot(t *testing.T) {
	r := ctrSh(t, rootfs(t), []string{"--read-only"}, "touch /nook-e2e-file")
	wantFailure(t, r, "Read-only file system")
	r = ctrSh(t, rootfs(t), []string{"--read-only"}, "touch /tmp/nook-e2e-file")
	wantFailure(t, r, "Read-only file system")
	r = ctrSh(t, rootfs(t), []string{"--read-only", "--tmpfs", "/tmp"}, "echo ok > /tmp/f && cat /tmp/f")
	wantCode(t, r, 0)
	if r.Stdout != "ok\n" {
		t.Errorf("a write to the tmpfs on /tmp read back %q", r.Stdout)
	}
	if _, err := os.Lstat(filepath.Join(rootfs(t), "tmp/f")); err == nil {
		t.Errorf("the write to the tmpfs reached the rootfs")
	}
}

// --tmpfs PATH is an empty, writable filesystem over whatever the rootfs
// has there; nothing written reaches the rootfs; it is noexec by default.
func TestRunTmpfsFlag(t *testing.T) {
	root := newRootfs(t)
	mkUserDir(t, filepath.Join(root, "scratch"))
	writeUserFile(t, filepath.Join(root, "scratch/underneath"), "rootfs\n")
	before := snapshot(t, filepath.Join(root, "scratch"))
	r := ctrSh(t, root, []string{"--tmpfs", "/scratch"},
		"ls -A /scratch; echo ok > /scratch/f && cat /scratch/f && cp /bin/busybox /scratch/bb && /scratch/bb true")
	if r.Code != 126 || !strings.Contains(r.Stderr, "Permission denied") {
		t.Errorf("running a program from the tmpfs: want exit 126, Permission denied; got %v", r)
	}
	if r.Stdout != "ok\n" {
		t.Errorf("the tmpfs was not empty and writable: stdout %q", r.Stdout)
	}
	wantSameSnapshot(t, "rootfs /scratch", before, snapshot(t, filepath.Join(root, "scratch")))

	r = ctrSh(t, root, []string{"--tmpfs", "/new/scratch"}, "ls -A /new/scratch && touch /new/scratch/f")
	wantCode(t, r, 0)
	if r.Stdout != "" {
		t.Errorf("a new tmpfs lists %q", r.Stdout)
	}
}

// /dev is the container's own: the usual devices, links and filesystems,
// and nothing else of the host's.
func TestRunDevContents(t *testing.T) {
	required := []string{"null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "mqueue", "fd", "stdin", "stdout", "stderr"}
	allowed := append([]string{"core"}, required...) // core -> /proc/kcore, as Docker has it
	r := ctrSh(t, rootfs(t), nil, "ls -A /dev")
	wantCode(t, r, 0)
	got := lines(r.Stdout)
	for _, name := range required {
		if !slices.Contains(got, name) {
			t.Errorf("/dev lacks %s: %q", name, got)
		}
	}
	for _, name := range got {
		if !slices.Contains(allowed, name) {
			t.Errorf("/dev has %s, which no container should: %q", name, got)
		}
	}

	script := `
for d in null zero full random urandom tty; do test -c /dev/$d || echo "not a device: $d"; done
for d in pts shm mqueue; do test -d /dev/$d || echo "not a directory: $d"; done
for d in vda sda kmsg mem kvm console; do test -e /dev/$d && echo "host device: $d"; done
test -c /dev/pts/ptmx || echo "no /dev/pts/ptmx"
test "$(readlink /dev/ptmx)" = pts/ptmx || echo "/dev/ptmx -> $(readlink /dev/ptmx)"
test "$(readlink /dev/fd)" = /proc/self/fd || echo "/dev/fd -> $(readlink /dev/fd)"
test "$(readlink /dev/stdin)" = /proc/self/fd/0 || echo "/dev/stdin -> $(readlink /dev/stdin)"
test "$(readlink /dev/stdout)" = /proc/self/fd/1 || echo "/dev/stdout -> $(readlink /dev/stdout)"
test "$(readlink /dev/stderr)" = /proc/self/fd/2 || echo "/dev/stderr -> $(readlink /dev/stderr)"
echo shm > /dev/shm/f && test "$(cat /dev/shm/f)" = shm || echo "/dev/shm is not writable"
echo x > /dev/null || echo "/dev/null is not writable"
test "$(head -c 5 /dev/zero | wc -c)" = 5 || echo "/dev/zero does not read"
test "$(head -c 5 /dev/urandom | wc -c)" = 5 || echo "/dev/urandom does not read"
echo x 2>/dev/null > /dev/full && echo "/dev/full took a write"
true
`
	r = ctrSh(t, rootfs(t), nil, script)
	wantCode(t, r, 0)
	if r.Stdout != "" || r.Stderr != "" {
		t.Errorf("/dev is not as it should be:\n%s%s", r.Stdout, r.Stderr)
	}
}

// stringList reads the string literals of a package-level []string
// variable in one of nook's source files, so the tests follow the list.
func stringList(t *testing.T, file, name string) []string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, file), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != name || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			t.Fatalf("%s: %s is not a composite literal", file, name)
		}
		for _, e := range lit.Elts {
			bl, ok := e.(*ast.BasicLit)
			if !ok || bl.Kind != token.STRING {
				t.Fatalf("%s: %s has a non-literal element", file, name)
			}
			s, err := strconv.Unquote(bl.Value)
			if err != nil {
				t.Fatal(err)
			}
			list = append(list, s)
		}
		return false
	})
	if len(list) == 0 {
		t.Fatalf("%s: no %s", file, name)
	}
	return list
}

// Every masked path that exists in the container reads empty (a file) or
// lists empty (a directory); among them are paths that every kernel has and
// that are not empty on the host.
func TestRunMaskedPaths(t *testing.T) {
	masked := stringList(t, "spec/defaults.go", "maskedPaths")
	var script strings.Builder
	for _, p := range masked {
		fmt.Fprintf(&script, `if [ -d %[1]s ]; then echo "%[1]s dir $(ls -A %[1]s | wc -l)";
elif [ -e %[1]s ]; then echo "%[1]s file $(cat %[1]s | wc -c)";
else echo "%[1]s missing"; fi
`, p)
	}
	r := ctrSh(t, rootfs(t), nil, script.String())
	wantCode(t, r, 0)
	seen := map[string]string{}
	for _, line := range lines(r.Stdout) {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[1] == "missing":
			seen[f[0]] = "missing"
		case len(f) == 3 && (f[1] == "dir" || f[1] == "file"):
			seen[f[0]] = f[1]
			if f[2] != "0" {
				t.Errorf("masked %s %s in the container has %s entries or bytes", f[1], f[0], f[2])
			}
		default:
			t.Errorf("masked path: %s", line)
		}
	}
	for _, p := range masked {
		if seen[p] == "" {
			t.Errorf("no report on %s:\n%s%s", p, r.Stdout, r.Stderr)
		}
	}
	// Not vacuous: these exist on every kernel and are not empty on the host.
	for _, p := range []string{"/proc/interrupts", "/proc/timer_list"} {
		if !slices.Contains(masked, p) {
			continue
		}
		if b, err := os.ReadFile(p); err != nil || len(b) == 0 {
			t.Fatalf("host %s: %d bytes, %v", p, len(b), err)
		}
		if seen[p] != "file" {
			t.Errorf("%s is %s in the container, want a masked file", p, seen[p])
		}
	}

	// kcore and sysrq-trigger may be absent from this kernel: what matters
	// is that reading yields nothing and writing fails. "h" only prints
	// help to the kernel log, should a write ever get through.
	r = ctrSh(t, rootfs(t), nil, "head -c 16 /proc/kcore 2>/dev/null | wc -c; head -c 16 /dev/core 2>/dev/null | wc -c")
	wantCode(t, r, 0)
	if got := lines(r.Stdout); !slices.Equal(got, []string{"0", "0"}) {
		t.Errorf("/proc/kcore and /dev/core read %q bytes", got)
	}
	r = ctrSh(t, rootfs(t), nil, "printf h > /proc/sysrq-trigger")
	if r.Code == 0 {
		t.Errorf("a write to /proc/sysrq-trigger succeeded: %v", r)
	}
}

// The read-only paths of /proc cannot be written, nor /sys, though the
// container's root could write them in its own namespaces otherwise.
func TestRunReadOnlyKernelPaths(t *testing.T) {
	r := ctrSh(t, rootfs(t), nil, "echo 1 > /proc/sys/kernel/ns_last_pid")
	wantFailure(t, r, "Read-only file system")
	r = ctrSh(t, rootfs(t), nil, "echo nookbox > /proc/sys/kernel/hostname")
	wantFailure(t, r, "Read-only file system")
	r = ctrSh(t, rootfs(t), nil, "touch /sys/nook-e2e")
	wantFailure(t, r, "Read-only file system")

	// procfs refuses to create files whatever the mount, so the read-only
	// directories are read-only mounts, as mountinfo tells; a file among
	// the paths must refuse a write.
	r = ctrSh(t, rootfs(t), nil, "cat /proc/self/mountinfo")
	wantCode(t, r, 0)
	mountOpts := map[string]string{} // mount point: options of the topmost mount
	for _, line := range lines(r.Stdout) {
		f := strings.Fields(line)
		if len(f) > 5 {
			mountOpts[f[4]] = f[5]
		}
	}
	for _, p := range stringList(t, "spec/defaults.go", "readonlyPaths") {
		r := ctrSh(t, rootfs(t), nil, fmt.Sprintf(`if [ -d %[1]s ]; then echo dir; elif [ -e %[1]s ]; then printf h > %[1]s; else echo missing; fi`, p))
		switch r.Stdout {
		case "missing\n":
		case "dir\n":
			wantCode(t, r, 0)
			if opts, ok := mountOpts[p]; !ok || !slices.Contains(strings.Split(opts, ","), "ro") {
				t.Errorf("read-only path %s: mounted %v with %q, want a read-only mount", p, ok, opts)
			}
		default:
			if r.Code == 0 {
				t.Errorf("read-only path %s took a write: %v", p, r)
			} else if !strings.Contains(r.Stderr, "Read-only file system") {
				t.Errorf("read-only path %s: the write failed, but not for being read-only: %v", p, r)
			}
		}
	}
}

// /etc/hostname, /etc/hosts and /etc/resolv.conf are generated for the
// container, over the rootfs's own files, which stay as they were.
func TestRunEtcFilesGenerated(t *testing.T) {
	root := newRootfs(t)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for name, content := range map[string]string{
		"hostname": "rootfs-hostname\n", "hosts": "10.9.8.7 rootfs-hosts\n", "resolv.conf": "nameserver 10.9.8.7\n",
	} {
		p := filepath.Join(root, "etc", name)
		writeUserFile(t, p, content)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, filepath.Join(root, "etc"))

	r := ctrSh(t, root, []string{"--hostname", "nookbox"}, "hostname; echo ---; cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; test -f /etc/resolv.conf && cat /etc/resolv.conf")
	wantCode(t, r, 0)
	parts := strings.Split(r.Stdout, "---\n")
	if len(parts) != 4 {
		t.Fatalf("unexpected output:\n%s", r.Stdout)
	}
	if parts[0] != "nookbox\n" || parts[1] != "nookbox\n" {
		t.Errorf("hostname %q, /etc/hostname %q; want nookbox", parts[0], parts[1])
	}
	if !strings.Contains(parts[2], "nookbox") || !strings.Contains(parts[2], "localhost") {
		t.Errorf("/etc/hosts does not name nookbox and localhost:\n%s", parts[2])
	}
	if strings.Contains(parts[2], "rootfs-hosts") || strings.Contains(parts[3], "10.9.8.7") {
		t.Errorf("the container sees the rootfs's own files, not generated ones:\n%s", r.Stdout)
	}
	wantSameSnapshot(t, "rootfs /etc", before, snapshot(t, filepath.Join(root, "etc")))
	// Nothing of the staging is left in the rootfs either.
	if entries, _ := os.ReadDir(filepath.Join(root, "dev")); len(entries) != 0 {
		t.Errorf("the rootfs's /dev has %v after the run", entries)
	}

	// Without --hostname, the host name is generated, and the files agree.
	r = ctrSh(t, rootfs(t), nil, "hostname; cat /etc/hostname; grep -c \"$(hostname)\" /etc/hosts")
	wantCode(t, r, 0)
	got := lines(r.Stdout)
	if len(got) != 3 || got[0] == "" || got[0] != got[1] || got[2] == "0" {
		t.Errorf("generated host name, /etc/hostname, mentions in /etc/hosts: %q", got)
	}
	if h, _ := os.Hostname(); len(got) > 0 && got[0] == h {
		t.Errorf("the container has the host's name %q", h)
	}
}

// statusField is the value of one line of /proc/self/status (CapEff,
// NoNewPrivs, Seccomp, ...) in a container started with flags.
func statusField(t *testing.T, flags []string, field string) string {
	t.Helper()
	r := ctrSh(t, rootfs(t), flags, "grep '^"+field+":' /proc/self/status")
	wantCode(t, r, 0)
	_, v, ok := strings.Cut(strings.TrimSpace(r.Stdout), ":")
	if !ok {
		t.Fatalf("no %s in /proc/self/status: %q", field, r.Stdout)
	}
	return strings.TrimSpace(v)
}

// Root in the container has Docker's default capabilities; --cap-drop and
// --cap-add change them; another user has none.
func TestRunCapabilitySets(t *testing.T) {
	const docker = "00000000a80425fb"
	for _, tc := range []struct {
		name  string
		flags []string
		field string
		want  string
	}{
		{"default", nil, "CapEff", docker},
		{"default permitted", nil, "CapPrm", docker},
		{"default bounding", nil, "CapBnd", docker},
		{"drop all", []string{"--cap-drop", "ALL"}, "CapEff", "0000000000000000"},
		{"drop all bounding", []string{"--cap-drop", "ALL"}, "CapBnd", "0000000000000000"},
		{"add SYS_ADMIN", []string{"--cap-add", "SYS_ADMIN"}, "CapEff", fmt.Sprintf("%016x", 0xa80425fb|1<<21)},
		{"drop CHOWN", []string{"--cap-drop", "CHOWN"}, "CapEff", fmt.Sprintf("%016x", 0xa80425fb&^1)},
		{"user 1000", []string{"-u", "1000"}, "CapEff", "0000000000000000"},
		{"user 1000 permitted", []string{"-u", "1000"}, "CapPrm", "0000000000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusField(t, tc.flags, tc.field); got != tc.want {
				t.Errorf("%s = %s, want %s", tc.field, got, tc.want)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		r := ctrSh(t, rootfs(t), []string{"--cap-add", "BOGUS"}, "true")
		if r.Code != 125 && r.Code != 2 {
			t.Errorf("want exit 125 or 2, got %v", r)
		}
		wantOneLineError(t, r, "BOGUS")
	})
}

// no_new_privs is on unless turned off.
func TestRunNoNewPrivileges(t *testing.T) {
	if got := statusField(t, nil, "NoNewPrivs"); got != "1" {
		t.Errorf("NoNewPrivs = %s by default, want 1", got)
	}
	if got := statusField(t, []string{"--security-opt", "no-new-privileges=false"}, "NoNewPrivs"); got != "0" {
		t.Errorf("NoNewPrivs = %s with no-new-privileges=false, want 0", got)
	}
	// And without it the seccomp filter is still there.
	if got := statusField(t, []string{"--security-opt", "no-new-privileges=false"}, "Seccomp"); got != "2" {
		t.Errorf("Seccomp = %s with no-new-privileges=false, want 2", got)
	}
}

// The seccomp filter is on by default and stops new user namespaces;
// seccomp=unconfined turns it off.
func TestRunSeccompFilter(t *testing.T) {
	if got := statusField(t, nil, "Seccomp"); got != "2" {
		t.Errorf("Seccomp = %s by default, want 2 (filter)", got)
	}
	r := ctrSh(t, rootfs(t), nil, "unshare -U true")
	wantFailure(t, r, "Operation not permitted")
	if got := statusField(t, []string{"--security-opt", "seccomp=unconfined"}, "Seccomp"); got != "0" {
		t.Errorf("Seccomp = %s with seccomp=unconfined, want 0", got)
	}
}

// Mounts made in the container stay in its mount namespace: the host (the
// test's own namespace and nook's) never sees them, and what is written on
// them never reaches the rootfs.
func TestRunMountsStayInside(t *testing.T) {
	root := newRootfs(t)
	mkUserDir(t, filepath.Join(root, "mnt"))
	marker := randomName("nook-e2e-")
	s := startNook(t, "run", "--rm", "-i", "--cap-add", "SYS_ADMIN", "--rootfs", root, "--",
		"/bin/sh", "-c", "mount -t tmpfs "+marker+" /mnt && echo inside > /mnt/f && grep -c "+marker+" /proc/self/mountinfo && read x")
	s.Expect("1\n", 10*time.Second) // mounted, and seen inside
	for _, pid := range []string{"self", strconv.Itoa(s.Pid())} {
		b, err := os.ReadFile("/proc/" + pid + "/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), marker) {
			t.Errorf("the container's mount shows in /proc/%s/mountinfo on the host", pid)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "mnt")); len(entries) != 0 {
		t.Errorf("the rootfs's /mnt has %v", entries)
	}
	s.Write("\n")
	wantCode(t, s.Wait(), 0)
}

func statOwner(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}
