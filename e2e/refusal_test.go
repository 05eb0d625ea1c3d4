package e2e

// The refusal paths: a host that cannot give nook what it needs, and flags
// or rootfs that cannot work, each end in one line on stderr that names the
// cause and the fix, with status 125 (2 for usage, 126 / 127 for a command
// that cannot run), never a hang or a Go stack trace. And root mode: nook
// run by real root creates no user namespace at all.
//
// What a test changes it changes only for the processes it starts: the
// user namespace limit is set in a user namespace of the test's own, the
// helpers are covered in a private mount namespace. Nothing on the host is
// left to restore, even if the test process dies.

import (
	"encoding/json"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	testrootfs "nook/testdata/rootfs"
)

// account is a user the tests run nook as.
type account struct {
	name       string
	uid, gid   int
	groups     []uint32
	home       string
	runtimeDir string
}

// testUser is the user of the rest of the suite, with subordinate ids.
func testUser(t *testing.T) account {
	t.Helper()
	return account{env.user.Username, env.uid, env.gid, env.groups, env.user.HomeDir, env.runtimeDir}
}

// plainUser is a second unprivileged user without subordinate ids
// (NOOK_TEST_USER2, default nooktest2; .ci/setup creates it).
func plainUser(t *testing.T) account {
	t.Helper()
	name := os.Getenv("NOOK_TEST_USER2")
	if name == "" {
		name = "nooktest2"
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("%v (run .ci/setup: it creates %s without subordinate ids)", err, name)
	}
	a := account{name: name, home: u.HomeDir}
	if a.uid, err = strconv.Atoi(u.Uid); err != nil {
		t.Fatal(err)
	}
	if a.gid, err = strconv.Atoi(u.Gid); err != nil {
		t.Fatal(err)
	}
	if a.uid == 0 || a.uid == env.uid {
		t.Fatalf("%s has uid %d: want an unprivileged user other than %s", name, a.uid, env.user.Username)
	}
	gids, err := u.GroupIds()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		a.groups = append(a.groups, uint32(n))
	}
	for _, file := range []string{"/etc/subuid", "/etc/subgid"} {
		has, err := hasSubordinateRange(file, u)
		if err != nil {
			t.Fatal(err)
		}
		if has {
			t.Fatalf("%s has a range in %s: the test needs a user without (run .ci/setup)", name, file)
		}
	}
	a.runtimeDir = tempDirOwned(t, a)
	return a
}

// tempDirOwned is a new empty directory owned by a (mode 0700), removed
// when the test ends.
func tempDirOwned(t *testing.T, a account) string {
	t.Helper()
	dir, err := os.MkdirTemp(env.workDir, unsafeChars.ReplaceAllString(a.name, "_")+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	if err := os.Chown(dir, a.uid, a.gid); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rootfsOwned builds a private rootfs owned by a.
func rootfsOwned(t *testing.T, a account) string {
	t.Helper()
	dir := filepath.Join(tempDirOwned(t, a), "rootfs")
	if err := testrootfs.Build(dir, env.probe); err != nil {
		t.Fatalf("build rootfs: %v", err)
	}
	if err := chownTree(dir, a.uid, a.gid); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (a account) env() []string {
	return []string{
		"HOME=" + a.home,
		"USER=" + a.name,
		"LOGNAME=" + a.name,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"XDG_RUNTIME_DIR=" + a.runtimeDir,
		"LANG=C",
	}
}

// nookAs runs the binary under test as a, as nook does for the test user.
func nookAs(t *testing.T, a account, args ...string) result {
	t.Helper()
	cmd := exec.Command(env.nook, args...)
	cmd.Env = a.env()
	cmd.Dir = a.home
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: a.groups},
		Setpgid:    true,
	}
	t.Cleanup(func() { killGroup(cmd) })
	return run(t, cmd)
}

// nookAfter runs nook as a in a process that first runs script as root:
// the script changes what this process alone sees (attr gives it the
// namespaces to change), then setpriv drops to a with a login's
// environment and execs nook with args.
func nookAfter(t *testing.T, a account, attr *syscall.SysProcAttr, script string, args ...string) result {
	t.Helper()
	argv := []string{"-ec", script + "\nexec \"$@\"", "sh",
		"setpriv", "--reuid=" + strconv.Itoa(a.uid), "--regid=" + strconv.Itoa(a.gid), "--init-groups",
		"env", "-i"}
	argv = append(argv, a.env()...)
	argv = append(argv, env.nook)
	argv = append(argv, args...)
	cmd := exec.Command("/bin/sh", argv...)
	cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C"}
	cmd.Dir = a.home
	attr.Setpgid = true
	cmd.SysProcAttr = attr
	t.Cleanup(func() { killGroup(cmd) })
	return run(t, cmd)
}

// noUserNamespaces runs nook as a where user.max_user_namespaces is 0.
//
// The limit is set in a user namespace of the test's own, mapping every id
// to itself, in which the test is still root: the sysctl is per user
// namespace, the kernel checks the limit of every namespace a new one would
// be nested in, and /proc/sys/user/max_user_namespaces shows nook the
// value of its own. That is the host's situation with the sysctl at 0,
// without changing the host: writing the host's value needs CAP_SYS_RESOURCE
// in the initial user namespace, which root lacks on some CI machines.
func noUserNamespaces(t *testing.T, a account, args ...string) result {
	t.Helper()
	all := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
	attr := &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER,
		UidMappings:                all,
		GidMappings:                all,
		GidMappingsEnableSetgroups: true,
	}
	const script = `echo 0 >/proc/sys/user/max_user_namespaces
test "$(cat /proc/sys/user/max_user_namespaces)" = 0`
	return nookAfter(t, a, attr, script, args...)
}

// withHelpersCovered runs nook as a where mounts in a private mount
// namespace cover newuidmap and newgidmap: with src "/dev/null", a device
// nook must treat as no helper at all; with a path, that file instead.
func withHelpersCovered(t *testing.T, a account, uidSrc, gidSrc string, args ...string) result {
	t.Helper()
	// Unshareflags, unlike Cloneflags, also makes every mount private, so
	// the bind mounts stay in this process's namespace.
	attr := &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	var script []string
	for _, c := range [][2]string{{uidSrc, "/usr/bin/newuidmap"}, {gidSrc, "/usr/bin/newgidmap"}} {
		if c[0] != "" {
			script = append(script, "mount --bind "+c[0]+" "+c[1])
		}
	}
	// nook looks in $PATH, /bin, /usr/sbin and /sbin too: make sure no other
	// copy is found there (/bin is /usr/bin on a merged-/usr Debian).
	script = append(script, `for d in /usr/local/bin /bin /usr/sbin /sbin; do
	for h in newuidmap newgidmap; do
		if [ -e $d/$h ] && [ ! $d/$h -ef /usr/bin/$h ]; then echo "$d/$h is not covered" >&2; exit 99; fi
	done
done`)
	return nookAfter(t, a, attr, strings.Join(script, "\n"), args...)
}

// nookAsRoot runs the binary under test as the test process's own user,
// real root, without dropping anything.
func nookAsRoot(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(env.nook, args...)
	cmd.Env = []string{
		"HOME=/root", "USER=root", "LOGNAME=root",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"XDG_RUNTIME_DIR=" + t.TempDir(), "LANG=C",
	}
	cmd.Dir = t.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() { killGroup(cmd) })
	return run(t, cmd)
}

// wantOneLine fails the test unless r exited with code, printing nothing
// on stdout and one line on stderr, from nook, that contains every one of
// mentions and no Go panic. It returns the line.
func wantOneLine(t *testing.T, r result, code int, mentions ...string) string {
	t.Helper()
	wantCode(t, r, code)
	msg := strings.TrimRight(r.Stderr, "\n")
	if msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("want one line on stderr, got %q", r.Stderr)
	}
	if !strings.HasPrefix(msg, "nook: ") {
		t.Errorf("stderr %q does not start with \"nook: \"", msg)
	}
	for _, bad := range []string{"goroutine", "panic"} {
		if strings.Contains(r.Stderr, bad) {
			t.Errorf("stderr has %q:\n%s", bad, r.Stderr)
		}
	}
	for _, m := range mentions {
		if !strings.Contains(msg, m) {
			t.Errorf("message %q does not mention %q", msg, m)
		}
	}
	if r.Stdout != "" {
		t.Errorf("stdout %q, want nothing", r.Stdout)
	}
	return msg
}

// idsAndMaps is the shell command whose output mapsOf reads.
const idsAndMaps = "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"

// mapsOf checks the output of idsAndMaps: the ids, then one line of each
// map, as whitespace-separated fields.
func mapsOf(t *testing.T, r result) (uid, gid string, uidMap, gidMap []string) {
	t.Helper()
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("want the ids and one line of each map, got %v", r)
	}
	return lines[0], lines[1], strings.Fields(lines[2]), strings.Fields(lines[3])
}

func wantMap(t *testing.T, what string, got []string, want ...int) {
	t.Helper()
	w := make([]string, len(want))
	for i, n := range want {
		w[i] = strconv.Itoa(n)
	}
	if strings.Join(got, " ") != strings.Join(w, " ") {
		t.Errorf("%s %q, want %q", what, strings.Join(got, " "), strings.Join(w, " "))
	}
}

// With user.max_user_namespaces=0 neither run nor sandbox can start: they
// say user namespaces are disabled and how to enable them.
func TestRefusalUserNamespacesDisabled(t *testing.T) {
	a := testUser(t)
	for _, args := range [][]string{
		{"run", "--rootfs", rootfs(t), "--", "true"},
		{"sandbox", "--", "true"},
		{"sandbox", "--root", "--", "true"},
	} {
		t.Run(args[0]+" "+args[1], func(t *testing.T) {
			r := noUserNamespaces(t, a, args...)
			wantOneLine(t, r, 125, "user namespaces are disabled", "user.max_user_namespaces=0", "sysctl -w user.max_user_namespaces=")
		})
	}
}

// Without subordinate ids only the user's own id is mapped, as container
// root; another uid or gid is refused with how to get subordinate ids.
func TestRefusalNoSubordinateIDs(t *testing.T) {
	a := plainUser(t)
	root := rootfsOwned(t, a)

	uid, gid, uidMap, gidMap := mapsOf(t, nookAs(t, a, "run", "--rootfs", root, "--", "sh", "-c", idsAndMaps))
	if uid != "0" || gid != "0" {
		t.Errorf("ids %s:%s in the container, want 0:0", uid, gid)
	}
	wantMap(t, "uid_map", uidMap, 0, a.uid, 1)
	wantMap(t, "gid_map", gidMap, 0, a.gid, 1)

	for _, user := range []string{"1000", "0:1000"} {
		t.Run("-u "+user, func(t *testing.T) {
			r := nookAs(t, a, "run", "--rootfs", root, "-u", user, "--", "true")
			wantOneLine(t, r, 125, "1000 is not mapped", "subordinate ids", "usermod --add-subuids", a.name)
		})
	}

	// The sandbox needs no subordinate ids in either mode.
	r := nookAs(t, a, "sandbox", "--root", "--", "id", "-u")
	wantCode(t, r, 0)
	if got := strings.TrimSpace(r.Stdout); got != "0" {
		t.Errorf("sandbox --root: id -u = %q, want 0", got)
	}
}

// Without newuidmap and newgidmap (here: covered by /dev/null, which is no
// program) only the user's own id is mapped; another is refused with the
// package that brings the helpers.
func TestRefusalHelpersMissing(t *testing.T) {
	a := testUser(t)
	for _, tc := range []struct{ name, uidSrc, gidSrc string }{
		{"both", os.DevNull, os.DevNull},
		{"newgidmap", "", os.DevNull},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uid, _, uidMap, gidMap := mapsOf(t, withHelpersCovered(t, a, tc.uidSrc, tc.gidSrc,
				"run", "--rootfs", rootfs(t), "--", "sh", "-c", idsAndMaps))
			if uid != "0" {
				t.Errorf("uid %s in the container, want 0", uid)
			}
			wantMap(t, "uid_map", uidMap, 0, a.uid, 1)
			wantMap(t, "gid_map", gidMap, 0, a.gid, 1)

			r := withHelpersCovered(t, a, tc.uidSrc, tc.gidSrc, "run", "--rootfs", rootfs(t), "-u", "1000", "--", "true")
			wantOneLine(t, r, 125, "uid 1000 is not mapped", "newuidmap", "uidmap package")
		})
	}
}

// Helpers that are there but not setuid fail to write the maps; nook says
// what they need instead of only relaying their "Operation not permitted".
func TestRefusalHelpersNotSetuid(t *testing.T) {
	a := testUser(t)
	dir := t.TempDir() // root's: a copy in it is executable but not setuid
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var copies []string
	for _, h := range []string{"newuidmap", "newgidmap"} {
		dst := filepath.Join(dir, h)
		if err := copyExecutable("/usr/bin/"+h, dst); err != nil {
			t.Fatal(err)
		}
		copies = append(copies, dst)
	}
	r := withHelpersCovered(t, a, copies[0], copies[1], "run", "--rootfs", rootfs(t), "--", "true")
	wantOneLine(t, r, 125, "newuidmap", "Operation not permitted", "setuid", "chmod u+s /usr/bin/newuidmap")
}

// Inside a sandbox, whose seccomp filter refuses new namespaces to a
// process without CAP_SYS_ADMIN, a nested nook says a seccomp filter is in
// the way and how to lift it — also as the sandbox's root, which is root
// in name only and so must not take nook's root mode. The inner nook is
// the same binary, at its host path under the read-only host root.
func TestRefusalSeccompOfEnclosingSandbox(t *testing.T) {
	for _, mode := range [][]string{{"sandbox"}, {"sandbox", "--root"}} {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			args := append(append([]string{}, mode...), "--", env.nook, "run", "--rootfs", rootfs(t), "--", "true")
			r := nook(t, args...)
			wantOneLine(t, r, 125, "seccomp", "--security-opt seccomp=unconfined")
		})
	}
}

// A sandbox started in / must not look like a chroot to the kernel, which
// refuses user namespaces in one: with its seccomp filter off, a nested
// user namespace works there as anywhere else.
func TestRefusalNoneForSandboxInRoot(t *testing.T) {
	for _, dir := range []string{env.user.HomeDir, "/"} {
		t.Run(dir, func(t *testing.T) {
			cmd := nookCmd(t, "sandbox", "--security-opt", "seccomp=unconfined", "--", "unshare", "--user", "true")
			cmd.Dir = dir
			wantCode(t, run(t, cmd), 0)
		})
	}
}

// A rootfs that is missing or no directory is a usage error; a rootfs
// without the command, or a command that is a directory, gives the
// shell's statuses.
func TestRefusalRootfs(t *testing.T) {
	file := filepath.Join(userTempDir(t), "file")
	if err := os.WriteFile(file, []byte("not a rootfs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(file, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
	empty := userTempDir(t)
	missing := filepath.Join(empty, "missing")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		mentions []string
	}{
		{"rootfs missing", []string{"--rootfs", missing, "true"}, 2, []string{"--rootfs", missing, "no such file or directory"}},
		{"rootfs is a file", []string{"--rootfs", file, "true"}, 2, []string{"--rootfs", file, "not a directory"}},
		{"no command in PATH", []string{"--rootfs", empty, "id"}, 127, []string{`"id"`, "executable file not found"}},
		{"no /bin/sh", []string{"--rootfs", empty, "/bin/sh", "-c", "true"}, 127, []string{"/bin/sh", "no such file or directory"}},
		{"command is a directory", []string{"--rootfs", rootfs(t), "/etc"}, 126, []string{"/etc", "is a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLine(t, nook(t, append([]string{"run"}, tc.args...)...), tc.code, tc.mentions...)
		})
	}
}

// Bad volumes, tmpfs, network, security options and working directories
// are refused before anything starts, in one line naming the culprit.
func TestRefusalFlags(t *testing.T) {
	missing := filepath.Join(userTempDir(t), "missing")
	// Under a directory of root's, mode 0700: there, but not to the user.
	hidden := filepath.Join(t.TempDir(), "vol")
	if err := os.Mkdir(hidden, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		flags    []string
		code     int
		mentions []string
	}{
		{"volume source missing", []string{"-v", missing + ":/mnt"}, 125, []string{missing, "does not exist"}},
		{"volume source unreachable", []string{"-v", hidden + ":/mnt"}, 125, []string{hidden, "permission denied"}},
		{"volume without target", []string{"-v", "foo"}, 125, []string{`"foo"`, "HOST:CONTAINER"}},
		{"volume target relative", []string{"-v", "/tmp:rel"}, 125, []string{`"/tmp:rel"`, "absolute"}},
		{"volume mode bogus", []string{"-v", "/tmp:/mnt:bogus"}, 125, []string{`"/tmp:/mnt:bogus"`}},
		{"tmpfs relative", []string{"--tmpfs", "relative"}, 125, []string{`"relative"`, "absolute"}},
		{"network bogus", []string{"--network", "bogus"}, 2, []string{"--network", "bogus", "none"}},
		{"security-opt bogus", []string{"--security-opt", "bogus"}, 125, []string{`"bogus"`, "no-new-privileges", "seccomp=unconfined"}},
		{"security-opt seccomp profile", []string{"--security-opt", "seccomp=/profile.json"}, 125, []string{"seccomp=/profile.json", "seccomp=unconfined"}},
		{"security-opt no-new-privileges value", []string{"--security-opt", "no-new-privileges=maybe"}, 125, []string{"no-new-privileges=maybe", "=false"}},
		{"workdir relative", []string{"-w", "rel"}, 125, []string{`"rel"`, "absolute"}},
		{"capability bogus", []string{"--cap-add", "BOGUS"}, 125, []string{`"BOGUS"`, "capabilities(7)"}},
		{"user unknown", []string{"-u", "nosuchuser"}, 125, []string{"nosuchuser", "/etc/passwd"}},
		{"group unknown", []string{"-u", "0:nosuchgroup"}, 125, []string{"nosuchgroup", "/etc/group"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rootfs", rootfs(t)}, tc.flags...), "--", "true")
			wantOneLine(t, nook(t, args...), tc.code, tc.mentions...)
		})
	}
	// The sandbox shares the flags and their checks.
	for _, tc := range []struct {
		name     string
		flags    []string
		mentions []string
	}{
		{"volume source missing", []string{"-v", missing + ":/mnt"}, []string{missing, "does not exist"}},
		{"security-opt bogus", []string{"--security-opt", "bogus"}, []string{`"bogus"`}},
		{"workdir relative", []string{"-w", "rel"}, []string{`"rel"`, "absolute"}},
	} {
		t.Run("sandbox "+tc.name, func(t *testing.T) {
			args := append(append([]string{"sandbox"}, tc.flags...), "--", "true")
			wantOneLine(t, nook(t, args...), 125, tc.mentions...)
		})
	}
}

// Real root gets no user namespace: it is root of the host's own id space
// in the container, which is PID 1 of its own PID namespace as ever.
func TestRootMode(t *testing.T) {
	root := newRootfs(t)
	r := nookAsRoot(t, "run", "--rootfs", root, "--", "sh", "-c", "echo $$; "+idsAndMaps)
	wantCode(t, r, 0)
	pid, rest, _ := strings.Cut(r.Stdout, "\n")
	if pid != "1" {
		t.Errorf("the command is pid %q, want 1", pid)
	}
	uid, gid, uidMap, gidMap := mapsOf(t, result{Stdout: rest})
	if uid != "0" || gid != "0" {
		t.Errorf("ids %s:%s, want 0:0", uid, gid)
	}
	wantMap(t, "uid_map", uidMap, 0, 0, 1<<32-1)
	wantMap(t, "gid_map", gidMap, 0, 0, 1<<32-1)

	// Any id exists: no subordinate ids or helpers are involved.
	r = nookAsRoot(t, "run", "--rootfs", root, "-u", "1000", "--", "sh", "-c", "id -u; id -g")
	wantCode(t, r, 0)
	if got := strings.Fields(r.Stdout); strings.Join(got, " ") != "1000 1000" {
		t.Errorf("-u 1000: ids %q, want 1000 1000", got)
	}
	r = nookAsRoot(t, "run", "--rootfs", root, "-u", "123456:654321", "--", "sh", "-c", "id -u; id -g")
	wantCode(t, r, 0)
	if got := strings.Fields(r.Stdout); strings.Join(got, " ") != "123456 654321" {
		t.Errorf("-u 123456:654321: ids %q", got)
	}

	uid, gid, uidMap, _ = mapsOf(t, nookAsRoot(t, "sandbox", "--", "sh", "-c", idsAndMaps))
	if uid != "0" || gid != "0" {
		t.Errorf("sandbox: ids %s:%s, want 0:0", uid, gid)
	}
	wantMap(t, "sandbox uid_map", uidMap, 0, 0, 1<<32-1)
}

// infoCheck is one line of `nook info`.
type infoCheck struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Value string `json:"value"`
	Fix   string `json:"fix"`
}

// infoChecks runs nook info --format json through runInfo and returns its
// checks by name.
func infoChecks(t *testing.T, r result) map[string]infoCheck {
	t.Helper()
	wantCode(t, r, 0)
	var report struct {
		Checks []infoCheck `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &report); err != nil {
		t.Fatalf("nook info --format json: %v\n%s", err, r.Stdout)
	}
	m := map[string]infoCheck{}
	for _, c := range report.Checks {
		m[c.Name] = c
	}
	return m
}

func wantCheck(t *testing.T, checks map[string]infoCheck, name string, ok bool, fixMentions ...string) {
	t.Helper()
	c, found := checks[name]
	switch {
	case !found:
		t.Errorf("nook info has no %q check", name)
		return
	case c.OK != ok:
		t.Errorf("nook info: %q is ok=%v (%q, fix %q), want ok=%v", name, c.OK, c.Value, c.Fix, ok)
	case !ok && c.Fix == "":
		t.Errorf("nook info: %q is not ok but has no fix", name)
	}
	for _, m := range fixMentions {
		if !strings.Contains(c.Fix, m) {
			t.Errorf("nook info: the fix for %q, %q, does not mention %q", name, c.Fix, m)
		}
	}
}

// textLine is the line of nook info's text output for the check name.
func textLine(t *testing.T, r result, name string) string {
	t.Helper()
	wantCode(t, r, 0)
	for _, line := range strings.Split(r.Stdout, "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Errorf("nook info does not list %q:\n%s", name, r.Stdout)
	return ""
}

// On the test machine, which .ci/setup prepared, everything rootless
// containers need is there, and nook info says so.
func TestInfoHost(t *testing.T) {
	checks := infoChecks(t, nook(t, "info", "--format", "json"))
	for _, name := range []string{"user namespaces", "subordinate uids", "subordinate gids", "newuidmap", "newgidmap", "/dev/net/tun"} {
		wantCheck(t, checks, name, true)
	}
	if c := checks["subordinate uids"]; !strings.Contains(c.Value, "-") {
		t.Errorf("subordinate uids %q, want a range", c.Value)
	}
	if c := checks["newuidmap"]; !strings.Contains(c.Value, "/newuidmap") {
		t.Errorf("newuidmap %q, want its path", c.Value)
	}

	r := nook(t, "info")
	if r.Stderr != "" {
		t.Errorf("nook info wrote on stderr: %s", r.Stderr)
	}
	for _, name := range []string{"user namespaces", "subordinate uids", "newuidmap", "/dev/net/tun"} {
		if line := textLine(t, r, name); line == "" || strings.Contains(line, "fix:") {
			t.Errorf("nook info: %s %q, want a value and no fix", name, line)
		}
	}
	if line := textLine(t, r, "user namespaces"); line != "ok" {
		t.Errorf("nook info: user namespaces %q, want ok", line)
	}
}

// nook info is a diagnostic: on a host that lacks something it lists the
// problem with its fix and still exits 0.
func TestInfoProblems(t *testing.T) {
	t.Run("user namespaces disabled", func(t *testing.T) {
		a := testUser(t)
		checks := infoChecks(t, noUserNamespaces(t, a, "info", "--format", "json"))
		wantCheck(t, checks, "user namespaces", false, "user.max_user_namespaces", "sysctl")
		line := textLine(t, noUserNamespaces(t, a, "info"), "user namespaces")
		if !strings.Contains(line, "fix:") || !strings.Contains(line, "user.max_user_namespaces") {
			t.Errorf("nook info: user namespaces %q, want the sysctl in a fix", line)
		}
	})
	t.Run("no subordinate ids", func(t *testing.T) {
		a := plainUser(t)
		checks := infoChecks(t, nookAs(t, a, "info", "--format", "json"))
		wantCheck(t, checks, "user namespaces", true)
		wantCheck(t, checks, "subordinate uids", false, "usermod", a.name)
		wantCheck(t, checks, "subordinate gids", false)
	})
	t.Run("helpers missing", func(t *testing.T) {
		a := testUser(t)
		checks := infoChecks(t, withHelpersCovered(t, a, os.DevNull, os.DevNull, "info", "--format", "json"))
		wantCheck(t, checks, "newuidmap", false, "uidmap")
		wantCheck(t, checks, "newgidmap", false, "uidmap")
		wantCheck(t, checks, "subordinate uids", true)
	})
}
