package nsjob

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nook/layer"
	"nook/userns"
)

// The real Runner, run as the CI's unprivileged users: the test binary is
// copied where they can run it and re-run with childEnv naming what to do
// in workEnv's directory (prepared by the parent: see writeBlobs).
const (
	childEnv = "NOOK_NSJOB_TEST_CHILD"
	workEnv  = "NOOK_NSJOB_TEST_DIR"
)

// The layers of the tests: owners 0 and 1000, a directory of mode 0, a hard
// link; the second layer deletes and adds. evil and cut must fail.
var testBlobs = map[string][]byte{
	"l1": gzipOf(tarOf(
		tdir("d/", 0o755, 0),
		tfile("d/f", "one", 0o644, 1000),
		tlink("d/f2", "d/f"),
		tsym("d/s", "/etc/passwd"),
		tfile("d/keep", "keep", 0o600, 0),
		tdir("locked/", 0, 1000),
		tfile("locked/x", "x", 0o644, 1000),
	)),
	"l2": tarOf(
		tfile("d/.wh.keep", "", 0, 0),
		tfile("d/new", "new", 0o644, 1000),
	),
	"evil": tarOf(tfile("ok", "", 0o644, 0), tfile("../escape", "x", 0o644, 0)),
	"cut":  tarOf(tfile("a", strings.Repeat("a", 2000), 0o644, 0))[:1024],
}

func writeBlobs(t *testing.T, dir string) {
	t.Helper()
	for name, b := range testBlobs {
		if err := os.WriteFile(filepath.Join(dir, name+".blob"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunnerWithSubordinateIDs: nooktest's helper maps 1..65536 to its
// subordinate range, so entries owned by 1000 are owned by base+999 on the
// host, and only the helper can remove them again.
func TestRunnerWithSubordinateIDs(t *testing.T) {
	mustBeRoot(t)
	u, base := testUser(t, "nooktest")
	work := workDir(t, u)
	writeBlobs(t, work)
	runChild(t, u, work, "unpack")

	sub := uint32(base + 999)
	for _, p := range []string{"l1/d/f", "l1/locked", "l1/locked/x", "l2/d/new", "flat/d/f", "flat/d/new", "flat/locked"} {
		if st := lstat(t, filepath.Join(work, p)); st.Uid != sub || st.Gid != sub {
			t.Errorf("%s: owned by %d:%d on the host, want %d:%d", p, st.Uid, st.Gid, sub, sub)
		}
	}
	owner := uint32(mustAtoi(t, u.Uid))
	for _, p := range []string{"l1/d", "l1/d/keep", "flat/d"} {
		if st := lstat(t, filepath.Join(work, p)); st.Uid != owner {
			t.Errorf("%s: owned by %d, want the user %d", p, st.Uid, owner)
		}
	}
	if f, f2 := lstat(t, filepath.Join(work, "flat/d/f")), lstat(t, filepath.Join(work, "flat/d/f2")); f.Ino != f2.Ino {
		t.Error("flat/d/f2 is no longer a hard link of flat/d/f")
	}
	if target, err := os.Readlink(filepath.Join(work, "flat/d/s")); target != "/etc/passwd" {
		t.Errorf("flat/d/s: %q, %v", target, err)
	}
	if _, err := os.Lstat(filepath.Join(work, "flat/d/keep")); !os.IsNotExist(err) {
		t.Errorf("flat/d/keep survived its whiteout: %v", err)
	}

	runChild(t, u, work, "remove")
	for _, p := range []string{"l1", "l2", "flat"} {
		if _, err := os.Lstat(filepath.Join(work, p)); !os.IsNotExist(err) {
			t.Errorf("%s still there after RemoveAll: %v", p, err)
		}
	}
}

// TestRunnerSingleID: nooktest2 has no subordinate ids; the helper maps
// the user alone (no newuidmap), an owner beyond it is a clear error.
func TestRunnerSingleID(t *testing.T) {
	mustBeRoot(t)
	u, _ := testUser(t, "nooktest2")
	work := workDir(t, u)
	writeBlobs(t, work)
	runChild(t, u, work, "single")
	owner := uint32(mustAtoi(t, u.Uid))
	if _, err := os.Lstat(filepath.Join(work, "l1")); !os.IsNotExist(err) {
		t.Errorf("l1 not removed: %v", err)
	}
	if st := lstat(t, filepath.Join(work, "l2/d/new")); st.Uid != owner {
		t.Errorf("l2/d/new owned by %d, want %d", st.Uid, owner)
	}
}

// TestRunnerPrivileged: as real root there is no user namespace, and the
// owners are the image's own.
func TestRunnerPrivileged(t *testing.T) {
	mustBeRoot(t)
	if !userns.Privileged() {
		t.Fatal("root without CAP_SYS_ADMIN")
	}
	work := t.TempDir()
	writeBlobs(t, work)
	r, err := Start(IDs{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	os.Mkdir(filepath.Join(work, "l1"), 0o755)
	res, err := r.Unpack(filepath.Join(work, "l1.blob"), filepath.Join(work, "l1"), "l1", true)
	if err != nil {
		t.Fatal(err)
	}
	if st := lstat(t, filepath.Join(work, "l1/d/f")); st.Uid != 1000 {
		t.Errorf("d/f owned by %d", st.Uid)
	}
	if want := layerDiffID(testBlobs["l1"]); res.DiffID != want || res.Files != 3 {
		t.Errorf("result %+v, want DiffID %s", res, want)
	}
	if err := r.RemoveAll(filepath.Join(work, "l1")); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := r.Unpack("x", "y", "z", false); !errors.Is(err, errClosed) {
		t.Errorf("Unpack after Close: %v", err)
	}
}

// TestHelperDiesWithNook: SIGKILL nook (here: the child holding a Runner)
// and its helper goes too.
func TestHelperDiesWithNook(t *testing.T) {
	mustBeRoot(t)
	u, _ := testUser(t, "nooktest")
	work := workDir(t, u)
	cmd := childCmd(u, work, "orphan")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("child: %v", err)
	}
	helper := mustAtoi(t, strings.TrimSpace(line))
	cmd.Process.Kill()
	cmd.Wait()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !alive(helper) {
			return
		}
	}
	syscall.Kill(helper, syscall.SIGKILL)
	t.Errorf("helper %d still alive 5s after nook died", helper)
}

// alive: a zombie is dead (whoever inherited it may reap it late).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

func testUser(t *testing.T, name string) (*user.User, int) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("CI's test user: %v", err)
	}
	ranges, _ := userns.LookupSubIDs("/etc/subuid", name, uint32(mustAtoi(t, u.Uid)))
	if name == "nooktest" && len(ranges) == 0 {
		t.Fatal("nooktest has no /etc/subuid entry")
	}
	if len(ranges) == 0 {
		return u, -1
	}
	return u, int(ranges[0].Start)
}

// workDir is a directory the user owns, with a copy of the test binary the
// user can run (go test's build directory is root's alone).
func workDir(t *testing.T, u *user.User) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "nsjob-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, mustAtoi(t, u.Uid), mustAtoi(t, u.Gid)); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nsjob.test"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func childCmd(u *user.User, work, mode string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(work, "nsjob.test"))
	cmd.Env = []string{childEnv + "=" + mode, workEnv + "=" + work, "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "USER=" + u.Username}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	cmd.Dir = work
	return cmd
}

// runChild runs the child to completion; a hang fails after a minute.
func runChild(t *testing.T, u *user.User, work, mode string) {
	t.Helper()
	cmd := childCmd(u, work, mode)
	cmd.WaitDelay = time.Second
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child done") {
		t.Fatalf("child %s as %s: %v\n%s", mode, u.Username, err, out)
	}
	t.Logf("child %s:\n%s", mode, out)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func layerDiffID(blob []byte) string {
	var plain []byte
	if zr, err := gzipReader(blob); err == nil {
		plain, _ = io.ReadAll(zr)
	}
	return digest(plain)
}

// child runs in the test binary as the unprivileged user; it prints
// problems and "child done" on success.
func child(mode string) int {
	work := os.Getenv(workEnv)
	c := &childT{work: work}
	switch mode {
	case "unpack":
		c.unpack(subIDs())
	case "remove":
		c.remove(subIDs())
	case "single":
		c.single()
	case "orphan":
		r, err := Start(subIDs())
		if err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println(r.pid)
		select {}
	}
	if c.failed {
		return 1
	}
	fmt.Println("child done")
	return 0
}

type childT struct {
	work   string
	failed bool
}

func (c *childT) errorf(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
	c.failed = true
}

func (c *childT) path(p string) string { return filepath.Join(c.work, p) }

// subIDs plans the maps as cli does for a user with subordinate ids.
func subIDs() IDs {
	u, _ := user.Current()
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	subU, _ := userns.LookupSubIDs("/etc/subuid", u.Username, uid)
	subG, _ := userns.LookupSubIDs("/etc/subgid", u.Username, uid)
	h := userns.FindHelpers()
	return IDs{
		Rootless: true,
		UIDs:     userns.PlanIDMap(uid, subU, 65536),
		GIDs:     userns.PlanIDMap(gid, subG, 65536),
		Helpers:  &h,
		SubUIDs:  subU, SubGIDs: subG,
	}
}

func (c *childT) start(ids IDs) *Runner {
	r, err := Start(ids)
	if err != nil {
		c.errorf("Start: %v", err)
		fmt.Println("child failed")
		os.Exit(1)
	}
	return r
}

// unpack unpacks every test layer at once, checks the failures and
// flattens l1 and l2.
func (c *childT) unpack(ids IDs) {
	r := c.start(ids)
	defer r.Close()
	var wg sync.WaitGroup
	results := map[string]error{}
	var mu sync.Mutex
	for name := range testBlobs {
		os.Mkdir(c.path(name), 0o755)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.Unpack(c.path(name+".blob"), c.path(name), name, true)
			mu.Lock()
			results[name] = err
			mu.Unlock()
			if err == nil {
				fmt.Printf("%s: %+v\n", name, res)
			}
		}()
	}
	wg.Wait()
	for _, name := range []string{"l1", "l2"} {
		if results[name] != nil {
			c.errorf("%s: %v", name, results[name])
		}
	}
	if err := results["evil"]; !errors.Is(err, layer.ErrUnsafe) || err.Error() != `layer evil: entry "../escape": path leaves the layer` {
		c.errorf("evil: %v (want layer.ErrUnsafe)", err)
	}
	if err := results["cut"]; !errors.Is(err, layer.ErrTruncated) || !strings.HasPrefix(err.Error(), "layer cut: ") {
		c.errorf("cut: %v (want layer.ErrTruncated)", err)
	}
	os.Mkdir(c.path("flat"), 0o755)
	if err := r.Flatten(c.path("flat"), []string{c.path("l1"), c.path("l2")}); err != nil {
		c.errorf("Flatten: %v", err)
	}
	if err := r.Close(); err != nil {
		c.errorf("Close: %v", err)
	}
}

// remove shows that the user alone cannot remove what the helper can.
func (c *childT) remove(ids IDs) {
	if err := os.RemoveAll(c.path("l1")); err == nil {
		c.errorf("the user removed l1 without the namespace: the test proves nothing")
	}
	r := c.start(ids)
	defer r.Close()
	for _, p := range []string{"l1", "l2", "flat", "evil", "cut", "missing"} {
		if err := r.RemoveAll(c.path(p)); err != nil {
			c.errorf("RemoveAll %s: %v", p, err)
		}
	}
}

// single runs with a one-id map written without newuidmap.
func (c *childT) single() {
	r := c.start(IDs{Rootless: true})
	defer r.Close()
	os.Mkdir(c.path("l1"), 0o755)
	_, err := r.Unpack(c.path("l1.blob"), c.path("l1"), "l1", true)
	if err == nil || !strings.Contains(err.Error(), "uid 1000 is not mapped") {
		c.errorf("l1 with owners in a one-id namespace: %v", err)
	}
	if err := r.RemoveAll(c.path("l1")); err != nil {
		c.errorf("RemoveAll l1: %v", err)
	}
	os.Mkdir(c.path("l2"), 0o755)
	if _, err := r.Unpack(c.path("l2.blob"), c.path("l2"), "l2", false); err != nil {
		c.errorf("l2 without owners: %v", err)
	}
}

// TestStartExplainsHelperFailure: a missing newuidmap is the container's
// one-line explanation, and the helper does not linger.
func TestStartExplainsHelperFailure(t *testing.T) {
	mustBeRoot(t)
	ids := IDs{Rootless: true, UIDs: userns.PlanIDMap(0, nil, 0), GIDs: userns.PlanIDMap(0, nil, 0), Helpers: &userns.Helpers{}}
	_, err := Start(ids)
	if err == nil || !strings.HasPrefix(err.Error(), "cannot write the id maps: newuidmap and newgidmap not found: install the uidmap package") {
		t.Errorf("err = %v", err)
	}
	var ws syscall.WaitStatus
	if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid > 0 || !errors.Is(err, syscall.ECHILD) {
		t.Errorf("a child is left: %d, %v", pid, err)
	}
}

// TestHelperDeathIsAnError: calls on a runner whose helper died fail with
// how it died, instead of hanging.
func TestHelperDeathIsAnError(t *testing.T) {
	mustBeRoot(t)
	r, err := Start(IDs{})
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(r.pid, syscall.SIGKILL)
	for range 100 {
		if err = r.RemoveAll(filepath.Join(t.TempDir(), "x")); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err == nil || err.Error() != "nsjob: helper killed by killed" {
		t.Errorf("err = %v", err)
	}
	if err := r.Close(); err == nil {
		t.Error("Close after the helper was killed: no error")
	}
}
