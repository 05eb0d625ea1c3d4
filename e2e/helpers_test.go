package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	testrootfs "nook/testdata/rootfs"
)

// timeout bounds every command the tests run: nook must never hang.
const timeout = 30 * time.Second

// result is how a command ended.
type result struct {
	Stdout, Stderr string
	// Code is the exit status, or -1 if the process was killed by Signal.
	Code   int
	Signal syscall.Signal
}

func (r result) String() string {
	how := fmt.Sprintf("exit %d", r.Code)
	if r.Signal != 0 {
		how = "killed by " + r.Signal.String()
	}
	return fmt.Sprintf("%s\n--- stdout:\n%s\n--- stderr:\n%s", how, r.Stdout, r.Stderr)
}

// wantCode fails the test unless r exited with code.
func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.Code != code || r.Signal != 0 {
		t.Fatalf("want exit %d, got %v", code, r)
	}
}

// nook runs the binary under test as the test user to completion, with
// stdin from /dev/null.
func nook(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, nookCmd(t, args...))
}

// nookCmd prepares the binary under test to run as the test user, for a test
// that sets stdin, the environment (append to cmd.Env) or the directory, or
// that interacts with it (see startSession and startPty).
func nookCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	return asUserCmd(t, env.nook, args...)
}

// asUser runs a host command as the test user to completion.
func asUser(t *testing.T, name string, args ...string) result {
	t.Helper()
	return run(t, asUserCmd(t, name, args...))
}

// asUserCmd prepares a host command to run as the test user, with the
// user's supplementary groups, in the user's home directory, in a process
// group of its own, and with a clean environment: what a login gives.
// It is killed, with its process group, when the test ends.
func asUserCmd(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = userEnv()
	cmd.Dir = env.user.HomeDir
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{
			Uid:    uint32(env.uid),
			Gid:    uint32(env.gid),
			Groups: env.groups,
		},
		Setpgid: true,
	}
	if env.userCgroup >= 0 {
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, env.userCgroup
	}
	t.Cleanup(func() { killGroup(cmd) })
	return cmd
}

func userEnv() []string {
	return []string{
		"HOME=" + env.user.HomeDir,
		"USER=" + env.user.Username,
		"LOGNAME=" + env.user.Username,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"XDG_RUNTIME_DIR=" + env.runtimeDir,
		"LANG=C",
	}
}

// killGroup ends what is left of cmd's process group. The group's id is
// the leader's pid (Setpgid or Setsid), so this reaches only what the test
// started, never a broad match.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// run runs a prepared command to completion within timeout; a hang fails
// the test, after killing the command's process group.
func run(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	// Wait returns only once the output is copied, so a process left behind
	// holding stdout would hang it: bound that too.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		killGroup(cmd)
		<-done
		t.Fatalf("%s: still running after %v, killed\n--- stdout:\n%s\n--- stderr:\n%s",
			cmd, timeout, &stdout, &stderr)
	}
	r := result{Stdout: stdout.String(), Stderr: stderr.String()}
	r.Code, r.Signal = exitStatus(cmd)
	if errors.Is(err, exec.ErrWaitDelay) {
		t.Errorf("%s exited, but its output stayed open: a process left behind?", cmd)
	} else if err != nil && cmd.ProcessState == nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

func exitStatus(cmd *exec.Cmd) (int, syscall.Signal) {
	if cmd.ProcessState == nil {
		return -1, 0
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal()
	}
	return cmd.ProcessState.ExitCode(), 0
}

// rootfs is the rootfs shared by all tests, owned by the test user. Tests
// must not change it: one that writes inside the container uses newRootfs,
// or --read-only / --tmpfs.
func rootfs(t *testing.T) string {
	t.Helper()
	return env.rootfs
}

// newRootfs builds a private rootfs for one test, owned by the test user.
func newRootfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(userTempDir(t), "rootfs")
	if err := testrootfs.Build(dir, env.probe); err != nil {
		t.Fatalf("build rootfs: %v", err)
	}
	if err := chownTree(dir, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
	return dir
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// userTempDir is a new empty directory owned by the test user (mode 0700),
// removed when the test ends. t.TempDir is root's, often unreachable to the
// user: use this for volumes, env files and the like.
func userTempDir(t *testing.T) string {
	t.Helper()
	prefix := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	dir, err := os.MkdirTemp(env.workDir, prefix+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	if err := os.Chown(dir, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
	return dir
}

// proc is one process, as /proc/PID/stat describes it.
type proc struct {
	Pid, PPid int
	State     byte // R S D Z T ...
	Comm      string
}

// descendants lists the living and zombie descendants of pid, seen from the
// host's /proc (so with host pids), parents before their children.
func descendants(t *testing.T, pid int) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	children := map[int][]proc{}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := readStat(n)
		if err != nil {
			continue // it exited meanwhile
		}
		children[p.PPid] = append(children[p.PPid], p)
	}
	var out []proc
	queue := []int{pid}
	for len(queue) > 0 {
		kids := children[queue[0]]
		queue = queue[1:]
		sort.Slice(kids, func(i, j int) bool { return kids[i].Pid < kids[j].Pid })
		for _, k := range kids {
			out = append(out, k)
			queue = append(queue, k.Pid)
		}
	}
	return out
}

func readStat(pid int) (proc, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, err
	}
	// "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return proc{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	fields := strings.Fields(s[end+1:])
	if len(fields) < 2 || len(fields[0]) != 1 {
		return proc{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return proc{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	return proc{Pid: pid, PPid: ppid, State: fields[0][0], Comm: s[open+1 : end]}, nil
}
