// Package e2e runs the real, built nook binary as an unprivileged user,
// exactly as users will: the test process is root only to set things up
// and to switch to the test user (NOOK_TEST_USER, default nooktest) for
// every command it runs.
//
// Environment:
//
//	NOOK_TEST_USER    the unprivileged user (default nooktest; .ci/setup creates it)
//	NOOK_E2E_BINARY   test this nook binary instead of building one from the tree
//	NOOK_E2E_PROBE    use this testdata/probe binary (static) instead of building one;
//	                  with NOOK_E2E_BINARY too, TestMain needs no Go toolchain
//	                  (just test-vm runs the VM tests so, in a VM too slow to build)
//	NOOK_E2E_FAKESYSTEMD  testdata/fakesystemd, for the VM tests of the systemd cgroup
//	                  manager (just test-vm builds it)
//	NOOK_E2E_USER_CGROUP  a cgroup directory the test user's commands are started in
//	                  (CLONE_INTO_CGROUP), as a login's processes sit in a session scope:
//	                  the VM's guest.sh sets it, keeping root's processes out of the
//	                  user's delegated tree as on a systemd host
//	NOOK_E2E_KEEP=1   keep the work directory under /var/tmp and print its path
package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	testrootfs "nook/testdata/rootfs"
)

const setupHint = "e2e: run as root after .ci/setup (creates user nooktest with subordinate ids)"

// env is set up once by TestMain and read-only afterwards.
var env struct {
	user   *user.User
	uid    int
	gid    int
	groups []uint32

	workDir    string // under /var/tmp, mode 0755, removed at the end
	nook       string // the binary under test
	probe      string // testdata/probe, built statically
	rootfs     string // the shared rootfs, owned by the test user: do not modify
	runtimeDir string // XDG_RUNTIME_DIR of the test user for this run, mode 0700
	userCgroup int    // open NOOK_E2E_USER_CGROUP, or -1
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// Descriptors this process inherited without close-on-exec (a shell's,
	// a CI runner's) would otherwise reach every nook run, and through it
	// the container, where a test of leaked descriptors would see them.
	if err := unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: close_range: %v\n", err)
		return 1
	}
	if err := preflight(); err != nil {
		fmt.Fprintf(os.Stderr, "%s\n  %v\n", setupHint, err)
		return 1
	}
	work, err := os.MkdirTemp("/var/tmp", "nook-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	env.workDir = work
	if os.Getenv("NOOK_E2E_KEEP") == "1" {
		defer fmt.Fprintf(os.Stderr, "e2e: kept %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: setup: %v\n", err)
		return 1
	}
	env.userCgroup = -1
	if dir := os.Getenv("NOOK_E2E_USER_CGROUP"); dir != "" {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: NOOK_E2E_USER_CGROUP: %v\n", err)
			return 1
		}
		env.userCgroup = fd
	}
	defer stopRegistry() // if an image test started it
	return m.Run()
}

// preflight checks what the tests cannot run without, so that a machine
// that is not set up fails with one clear message instead of many odd ones.
func preflight() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("running as uid %d, not root", os.Geteuid())
	}
	name := os.Getenv("NOOK_TEST_USER")
	if name == "" {
		name = "nooktest"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("test user: %w", err)
	}
	env.user = u
	if env.uid, err = strconv.Atoi(u.Uid); err != nil {
		return fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
	}
	if env.gid, err = strconv.Atoi(u.Gid); err != nil {
		return fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
	}
	if env.uid == 0 {
		return fmt.Errorf("test user %s is root", name)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return fmt.Errorf("user %s: groups: %w", name, err)
	}
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return fmt.Errorf("user %s: group %q: %w", name, g, err)
		}
		env.groups = append(env.groups, uint32(n))
	}
	for _, file := range []string{"/etc/subuid", "/etc/subgid"} {
		ok, err := hasSubordinateRange(file, u)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s has no range for %s", file, name)
		}
	}
	for _, tool := range []string{"/usr/bin/newuidmap", "/usr/bin/newgidmap", testrootfs.Busybox} {
		if _, err := os.Stat(tool); err != nil {
			return err
		}
	}
	return nil
}

// hasSubordinateRange tells whether file (/etc/subuid or /etc/subgid) gives
// u a non-empty range, listed under its name or its uid.
func hasSubordinateRange(file string, u *user.User) (bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 || (fields[0] != u.Username && fields[0] != u.Uid) {
			continue
		}
		if n, err := strconv.ParseUint(fields[2], 10, 32); err == nil && n > 0 {
			return true, nil
		}
	}
	return false, sc.Err()
}

func setup() error {
	// The test user must reach everything under the work directory.
	if err := os.Chmod(env.workDir, 0o755); err != nil {
		return err
	}
	nookBin, probeBin := os.Getenv("NOOK_E2E_BINARY"), os.Getenv("NOOK_E2E_PROBE")
	var root string
	if nookBin == "" || probeBin == "" {
		var err error
		if root, err = moduleRoot(); err != nil {
			return err
		}
	}

	env.nook = filepath.Join(env.workDir, "nook")
	if nookBin != "" {
		if err := copyExecutable(nookBin, env.nook); err != nil {
			return fmt.Errorf("NOOK_E2E_BINARY: %w", err)
		}
	} else if err := buildNook(root, env.nook); err != nil {
		return err
	}
	env.probe = filepath.Join(env.workDir, "probe")
	if probeBin != "" {
		if err := copyExecutable(probeBin, env.probe); err != nil {
			return fmt.Errorf("NOOK_E2E_PROBE: %w", err)
		}
	} else if err := goBuild(root, env.probe, "./testdata/probe"); err != nil {
		return err
	}
	for _, bin := range []string{env.nook, env.probe} {
		if err := os.Chmod(bin, 0o755); err != nil {
			return err
		}
	}

	env.rootfs = filepath.Join(env.workDir, "rootfs")
	if err := testrootfs.Build(env.rootfs, env.probe); err != nil {
		return fmt.Errorf("build rootfs: %w", err)
	}
	// The container's root is the test user, so it must own the rootfs.
	if err := chownTree(env.rootfs, env.uid, env.gid); err != nil {
		return err
	}

	env.runtimeDir = filepath.Join(env.workDir, "run")
	if err := os.Mkdir(env.runtimeDir, 0o700); err != nil {
		return err
	}
	return os.Chown(env.runtimeDir, env.uid, env.gid)
}

// moduleRoot is the directory of nook's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside the nook module")
	}
	return filepath.Dir(mod), nil
}

// buildNook builds nook as `just build` does: the init program first, then
// nook with it embedded.
func buildNook(root, out string) error {
	if err := goBuild(root, filepath.Join(root, "initbin", "nook-init"), "./initbin/program"); err != nil {
		return err
	}
	return goBuild(root, out, ".", "-tags", "nookinit")
}

func goBuild(dir, out, pkg string, flags ...string) error {
	args := append(append([]string{"build", "-trimpath"}, flags...), "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, output.Bytes())
	}
	return nil
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}
