package e2e

// What `nook sandbox` gives a command: the host's own filesystem, read-only,
// with a private /tmp, the working directory readable, only what --rw asks
// for writable, hidden paths, no network, the caller's own ids and a fresh
// /proc.

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sandboxIn runs script with the host's /bin/sh in a sandbox started in
// dir, a directory the test user owns; nook's flags first.
func sandboxIn(t *testing.T, dir string, flags []string, script string) result {
	t.Helper()
	args := append([]string{"sandbox"}, flags...)
	args = append(args, "--", "/bin/sh", "-c", script)
	cmd := nookCmd(t, args...)
	cmd.Dir = dir
	return run(t, cmd)
}

// The host's root is read-only in the sandbox: system directories and the
// user's home alike.
func TestSandboxHostRootReadOnly(t *testing.T) {
	dir := userTempDir(t)
	home := env.user.HomeDir
	for _, p := range []string{"/etc/" + randomName("nook-e2e-"), filepath.Join(home, randomName("nook-e2e-"))} {
		r := sandboxIn(t, dir, nil, "touch "+p)
		wantFailure(t, r, "Read-only file system")
		if _, err := os.Lstat(p); err == nil {
			os.Remove(p)
			t.Errorf("the sandbox created %s on the host", p)
		}
	}
	// The user can write home outside of the sandbox: it is the sandbox
	// that stops it, not permissions.
	if r := asUser(t, "test", "-w", home); r.Code != 0 {
		t.Fatalf("the test user cannot write its home %s outside of a sandbox", home)
	}
}

// /tmp is the sandbox's own, empty: the host's files are not there and the
// sandbox's do not reach the host.
func TestSandboxPrivateTmp(t *testing.T) {
	dir := userTempDir(t)
	hostFile := filepath.Join("/tmp", randomName("nook-e2e-host-"))
	if err := os.WriteFile(hostFile, []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(hostFile) })
	inside := filepath.Join("/tmp", randomName("nook-e2e-sandbox-"))
	t.Cleanup(func() { os.Remove(inside) })

	r := sandboxIn(t, dir, nil, "ls -A /tmp; echo sandbox > "+inside+" && cat "+inside)
	wantCode(t, r, 0)
	if r.Stdout != "sandbox\n" {
		t.Errorf("the sandbox's /tmp was not empty and writable: %q", r.Stdout)
	}
	if _, err := os.Lstat(inside); err == nil {
		t.Errorf("%s, written in the sandbox, is on the host", inside)
	}
	if _, err := os.Lstat(hostFile); err != nil {
		t.Errorf("the host's %s is gone: %v", hostFile, err)
	}
}

// The working directory is the caller's, readable but not writable unless
// --rw makes it so; then writes reach the host.
func TestSandboxWorkingDirectory(t *testing.T) {
	dir := userTempDir(t)
	writeUserFile(t, filepath.Join(dir, "file"), "in the working directory\n")
	r := sandboxIn(t, dir, nil, "pwd; cat file")
	wantCode(t, r, 0)
	if r.Stdout != dir+"\nin the working directory\n" {
		t.Errorf("pwd and cat file: %q, want %s and its file", r.Stdout, dir)
	}
	r = sandboxIn(t, dir, nil, "echo new > new")
	wantFailure(t, r, "Read-only file system")
	if _, err := os.Lstat(filepath.Join(dir, "new")); err == nil {
		t.Errorf("a write reached the read-only working directory")
	}

	for _, rw := range []string{dir, "."} {
		r = sandboxIn(t, dir, []string{"--rw", rw}, "echo written > new && echo more >> file")
		wantCode(t, r, 0)
		b, err := os.ReadFile(filepath.Join(dir, "new"))
		if err != nil || string(b) != "written\n" {
			t.Errorf("--rw %s: the write reached the host as %q, %v", rw, b, err)
		}
		if st := statOwner(t, filepath.Join(dir, "new")); st != env.uid {
			t.Errorf("--rw %s: the file is owned by uid %d, want %d", rw, st, env.uid)
		}
		os.Remove(filepath.Join(dir, "new"))
	}
}

// --rw makes any existing host directory writable, and only it.
func TestSandboxRwOtherDirectory(t *testing.T) {
	dir := userTempDir(t)
	other := userTempDir(t)
	r := sandboxIn(t, dir, []string{"--rw", other}, "echo x > "+other+"/f && touch f")
	wantFailure(t, r, "Read-only file system")
	if b, err := os.ReadFile(filepath.Join(other, "f")); err != nil || string(b) != "x\n" {
		t.Errorf("the write to --rw %s reached the host as %q, %v", other, b, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "f")); err == nil {
		t.Errorf("the working directory became writable too")
	}
}

// --ro binds a path read-only: inside a --rw directory it stays
// read-only, and under a hidden directory it is visible again.
func TestSandboxRoFlag(t *testing.T) {
	dir := userTempDir(t)
	sub := filepath.Join(dir, "sub")
	mkUserDir(t, sub)
	writeUserFile(t, filepath.Join(sub, "f"), "sub\n")
	writeUserFile(t, filepath.Join(dir, "secret"), "secret\n")

	r := sandboxIn(t, dir, []string{"--rw", dir, "--ro", sub}, "echo x > top && cat sub/f && touch sub/new")
	wantFailure(t, r, "Read-only file system")
	if r.Stdout != "sub\n" {
		t.Errorf("cat sub/f: %q", r.Stdout)
	}
	if _, err := os.Lstat(filepath.Join(dir, "top")); err != nil {
		t.Errorf("--rw %s did not make it writable: %v", dir, err)
	}
	if _, err := os.Lstat(filepath.Join(sub, "new")); err == nil {
		t.Errorf("--ro %s took a write", sub)
	}

	r = sandboxIn(t, userTempDir(t), []string{"--hide", dir, "--ro", sub}, "ls -A "+dir+"; echo ---; cat "+sub+"/f")
	wantCode(t, r, 0)
	if r.Stdout != "sub\n---\nsub\n" {
		t.Errorf("--hide %s --ro %s: the sandbox sees %q, want only sub", dir, sub, r.Stdout)
	}
}

// --hide puts an empty directory over a directory and an empty file over a
// file; the host's stay as they were.
func TestSandboxHideFlag(t *testing.T) {
	dir := userTempDir(t)
	secrets := filepath.Join(dir, "secrets")
	mkUserDir(t, secrets)
	writeUserFile(t, filepath.Join(secrets, "key"), "private key\n")
	token := filepath.Join(dir, "token")
	writeUserFile(t, token, "token\n")
	before := snapshot(t, dir)

	r := sandboxIn(t, dir, []string{"--hide", secrets, "--hide", "token"},
		"ls -A secrets | wc -l; cat token | wc -c; cat secrets/key")
	if r.Code == 0 {
		t.Errorf("a hidden file could be read: %v", r)
	}
	if got := lines(r.Stdout); !slices.Equal(got, []string{"0", "0"}) {
		t.Errorf("hidden directory entries, hidden file bytes: %q, want 0 0", got)
	}
	wantSameSnapshot(t, "hidden paths on the host", before, snapshot(t, dir))
}

// --hide, --rw and --ro nest whatever their order on the command line: a
// path asked for beneath a hidden directory shows through it, and one
// hidden beneath a writable directory stays hidden.
func TestSandboxNestedPaths(t *testing.T) {
	dir := userTempDir(t)
	home := filepath.Join(dir, "home")
	project := filepath.Join(home, "project")
	mkUserDir(t, project)
	writeUserFile(t, filepath.Join(home, "secret"), "secret\n")
	writeUserFile(t, filepath.Join(project, "main.c"), "int main;\n")
	keys := filepath.Join(project, "keys")
	mkUserDir(t, keys)
	writeUserFile(t, filepath.Join(keys, "id"), "key\n")

	script := "ls -A " + home + "; echo ---; ls -A " + project + "; echo ---; ls -A " + keys + "; echo ---; echo built > " + project + "/out && cat " + project + "/main.c"
	for _, flags := range [][]string{
		{"--hide", home, "--rw", project, "--hide", keys},
		{"--hide", keys, "--rw", project, "--hide", home},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			r := sandboxIn(t, userTempDir(t), flags, script)
			wantCode(t, r, 0)
			want := "project\n---\nkeys\nmain.c\n---\n---\nint main;\n"
			if r.Stdout != want {
				t.Errorf("the sandbox sees:\n%s\nwant:\n%s", r.Stdout, want)
			}
			if b, err := os.ReadFile(filepath.Join(project, "out")); err != nil || string(b) != "built\n" {
				t.Errorf("the write to --rw %s reached the host as %q, %v", project, b, err)
			}
			os.Remove(filepath.Join(project, "out"))
		})
	}

	// The working directory shows through a hidden parent too.
	r := sandboxIn(t, project, []string{"--hide", home}, "pwd; cat main.c; ls -A "+home)
	wantCode(t, r, 0)
	if want := project + "\nint main;\nproject\n"; r.Stdout != want {
		t.Errorf("in %s with --hide %s the sandbox sees %q, want %q", project, home, r.Stdout, want)
	}
}

// A path given to --rw, --ro or --hide must exist: a sandbox creates
// nothing on the host.
func TestSandboxMissingPath(t *testing.T) {
	dir := userTempDir(t)
	for _, flag := range []string{"--rw", "--ro", "--hide"} {
		missing := filepath.Join(dir, "nonexistent")
		r := sandboxIn(t, dir, []string{flag, missing}, "true")
		wantCode(t, r, 125)
		wantOneLineError(t, r, missing)
		if _, err := os.Lstat(missing); err == nil {
			t.Errorf("%s %s created it", flag, missing)
		}
	}
	r := sandboxIn(t, dir, []string{"--rw", "/nonexistent"}, "true")
	wantCode(t, r, 125)
	wantOneLineError(t, r, "/nonexistent")
}

// interfaces are the names in a /proc/net/dev listing.
func interfaces(t *testing.T, netdev string) []string {
	t.Helper()
	var names []string
	for _, line := range lines(netdev) {
		name, _, ok := strings.Cut(line, ":")
		if ok && !strings.Contains(name, "|") {
			names = append(names, strings.TrimSpace(name))
		}
	}
	slices.Sort(names)
	return names
}

// The sandbox has no network but loopback; --network host has the host's.
func TestSandboxNetwork(t *testing.T) {
	dir := userTempDir(t)
	r := sandboxIn(t, dir, nil, "cat /proc/net/dev")
	wantCode(t, r, 0)
	if got := interfaces(t, r.Stdout); !slices.Equal(got, []string{"lo"}) {
		t.Errorf("interfaces in the sandbox: %q, want only lo", got)
	}

	host, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	want := interfaces(t, string(host))
	if len(want) < 2 {
		t.Fatalf("the host has only %q: --network host cannot be told apart", want)
	}
	r = sandboxIn(t, dir, []string{"--network", "host"}, "cat /proc/net/dev")
	wantCode(t, r, 0)
	if got := interfaces(t, r.Stdout); !slices.Equal(got, want) {
		t.Errorf("interfaces with --network host: %q, want the host's %q", got, want)
	}
}

// The command runs with the caller's own uid and gid, or as root with --root.
func TestSandboxIdentity(t *testing.T) {
	dir := userTempDir(t)
	r := sandboxIn(t, dir, nil, "id -u; id -g")
	wantCode(t, r, 0)
	if got, want := lines(r.Stdout), []string{strconv.Itoa(env.uid), strconv.Itoa(env.gid)}; !slices.Equal(got, want) {
		t.Errorf("id -u, id -g: %q, want %q", got, want)
	}
	r = sandboxIn(t, dir, []string{"--root"}, "id -u; id -g")
	wantCode(t, r, 0)
	if got := lines(r.Stdout); !slices.Equal(got, []string{"0", "0"}) {
		t.Errorf("--root: id -u, id -g: %q, want 0 0", got)
	}
	// Root in name only: the host's root-owned files stay unwritable.
	r = sandboxIn(t, dir, []string{"--root"}, "echo x >> /etc/passwd")
	if r.Code == 0 {
		t.Errorf("--root could append to the host's /etc/passwd: %v", r)
	}
}

// /run/user, where other programs' sessions listen, is empty.
func TestSandboxRunUserHidden(t *testing.T) {
	if err := os.MkdirAll("/run/user", 0o755); err != nil {
		t.Fatal(err)
	}
	session, err := os.MkdirTemp("/run/user", "nook-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(session) })
	if err := os.Chmod(session, 0o755); err != nil {
		t.Fatal(err)
	}
	writeUserFile(t, filepath.Join(session, "bus"), "")
	r := sandboxIn(t, userTempDir(t), nil, "ls -A /run/user; test -e "+session+"/bus && echo visible")
	wantCode(t, r, 1)
	if r.Stdout != "" {
		t.Errorf("/run/user in the sandbox lists %q", r.Stdout)
	}
}

// /proc is the sandbox's own: its command is PID 1 and the only processes
// are its own.
func TestSandboxFreshProc(t *testing.T) {
	r := sandboxIn(t, userTempDir(t), nil, "echo $$; ls /proc")
	wantCode(t, r, 0)
	out := lines(r.Stdout)
	if len(out) == 0 || out[0] != "1" {
		t.Fatalf("the sandbox's shell is not PID 1: %q", r.Stdout)
	}
	var pids []string
	for _, name := range out[1:] {
		if _, err := strconv.Atoi(name); err == nil {
			pids = append(pids, name)
		}
	}
	// The shell and ls: nothing of the host's.
	if len(pids) > 2 || !slices.Contains(pids, "1") {
		t.Errorf("processes in the sandbox's /proc: %q, want only the shell (1) and ls", pids)
	}
}

// The command's exit status is the sandbox's.
func TestSandboxExitStatusPropagates(t *testing.T) {
	dir := userTempDir(t)
	for _, code := range []int{0, 1, 42, 255} {
		wantCode(t, sandboxIn(t, dir, nil, "exit "+strconv.Itoa(code)), code)
	}
}
