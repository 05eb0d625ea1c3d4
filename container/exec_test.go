package container

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/cgroups"
	"nook/messages"
	"nook/spec"
	testrootfs "nook/testdata/rootfs"
)

// execChildEnv names the work directory of the unprivileged child that
// runs the scenario (the test binary, copied there, re-run as nooktest).
const execChildEnv = "NOOK_CONTAINER_EXEC_DIR"

// TestExecInRunningContainer runs a real rootless container (a single id
// map, as nooktest) with an agent, and execs into it from OnRunning.
func TestExecInRunningContainer(t *testing.T) {
	if dir := os.Getenv(execChildEnv); dir != "" {
		execScenario(t, dir)
		return
	}
	if os.Getuid() != 0 {
		t.Fatal("this test needs root (to run the container as the user nooktest); CI runs go test as root")
	}
	u, err := user.Lookup("nooktest")
	if err != nil {
		t.Fatalf("CI's test user (.ci/setup): %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir := userDir(t, uid, gid)
	cgroup := delegatedCgroup(t, uid, gid)
	cmd := exec.Command(filepath.Join(dir, "container.test"), "-test.run=^TestExecInRunningContainer$", "-test.v", "-test.count=1")
	cmd.Env = []string{execChildEnv + "=" + dir, "PATH=/usr/bin:/bin"}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		UseCgroupFD: true, CgroupFD: int(cgroup.Fd())}
	cmd.WaitDelay = time.Second
	timer := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "exec scenario done") {
		t.Fatalf("the scenario as nooktest: %v\n%s", err, out)
	}
	t.Logf("as nooktest:\n%s", out)
}

// userDir is a directory the user owns, with a busybox root filesystem
// and the test binary built statically (the exec helper runs it inside
// the container's root, which has no dynamic loader, as nook is built).
func userDir(t *testing.T, uid, gid int) string {
	dir, err := os.MkdirTemp("/tmp", "nook-exec-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	build := exec.Command(goTool(), "test", "-c", "-o", filepath.Join(dir, "container.test"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the test binary statically: %v\n%s", err, out)
	}
	if err := testrootfs.Build(filepath.Join(dir, "rootfs"), testrootfs.Busybox); err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// delegatedCgroup is a cgroup v2 the user may create cgroups in, as a
// systemd session's is, open for CLONE_INTO_CGROUP.
func delegatedCgroup(t *testing.T, uid, gid int) *os.File {
	dir := filepath.Join(cgroupMount(t), fmt.Sprintf("nook-exec-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeCgroups(t, dir) })
	for _, p := range []string{dir, dir + "/cgroup.procs", dir + "/cgroup.subtree_control"} {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// cgroupMount is where the cgroup2 hierarchy is: /sys/fs/cgroup, or
// beside v1 (this machine kind) /sys/fs/cgroup/unified.
func cgroupMount(t *testing.T) string {
	for _, d := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(d + "/cgroup.procs"); err == nil {
			if _, err := os.Stat(d + "/cgroup.controllers"); err == nil {
				return d
			}
		}
	}
	t.Fatal("no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified")
	return ""
}

func removeCgroups(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeCgroups(t, filepath.Join(dir, e.Name()))
		}
	}
	if err := os.Remove(dir); err != nil {
		t.Errorf("remove cgroup %s: %v", dir, err)
	}
}

// goTool is the go command that runs the tests (go test puts its own
// GOROOT's bin first in PATH), or the usual install.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// scenario is a running container: its spec, its PID 1 and the handle.
type scenario struct {
	proc   *specs.Process
	pid1   int
	cgroup string // the container's, in the host's cgroup namespace
	c      *Running
}

type runResult struct {
	code int
	err  error
}

func execScenario(t *testing.T, dir string) {
	sc, done := startContainer(t, dir)
	t.Run("namespaces and security", func(t *testing.T) { checkSameContainer(t, sc) })
	t.Run("files", func(t *testing.T) { checkFiles(t, sc) })
	t.Run("statuses", func(t *testing.T) { checkStatuses(t, sc) })
	t.Run("environment and user", func(t *testing.T) { checkEnvironment(t, sc) })
	t.Run("pty", func(t *testing.T) { checkPty(t, sc) })
	t.Run("signal", func(t *testing.T) { checkSignal(t, sc) })
	logExecTime(t, sc)
	checkPID1Exit(t, sc, done)
	if !t.Failed() {
		t.Log("exec scenario done")
	}
}

// startContainer runs sleep in the rootfs under dir with an agent and
// returns once it runs.
func startContainer(t *testing.T, dir string) (*scenario, chan runResult) {
	ids := []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getuid()), Size: 1}}
	gids := []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getgid()), Size: 1}}
	s, err := spec.Container(filepath.Join(dir, "rootfs"), spec.Options{Args: []string{"sleep", "1000"},
		Hostname: "exectest", Network: "none", NoNewPrivileges: true, Rootless: true, UIDMap: ids, GIDMap: gids})
	if err != nil {
		t.Fatal(err)
	}
	h, err := cgroups.Discover("/proc", "")
	if err != nil {
		t.Fatal(err)
	}
	cg, err := cgroups.Create(h, "", "exectest", cgroups.Limits{})
	if err != nil {
		t.Fatalf("the container's cgroup in %+v: %v", h, err)
	}
	pid1 := make(chan int, 1)
	running := make(chan *Running, 1)
	r := &Run{Config: &messages.Config{Spec: s, Seccomp: true}, Stdout: os.Stdout, Stderr: os.Stderr, Agent: true, Cgroup: cg,
		Started:   func(pid int) func() { pid1 <- pid; return func() {} },
		OnRunning: func(c *Running) { running <- c }}
	done := make(chan runResult, 1)
	go func() {
		code, err := r.Start()
		done <- runResult{code, err}
	}()
	sc := &scenario{proc: s.Process, cgroup: cg.Dir}
	select {
	case sc.c = <-running:
	case res := <-done:
		t.Fatalf("the container ended before it ran: %d, %v", res.code, res.err)
	case <-time.After(30 * time.Second):
		t.Fatal("the container did not start in 30s")
	}
	sc.pid1 = <-pid1
	t.Cleanup(func() {
		_ = syscall.Kill(sc.pid1, syscall.SIGKILL)
		<-done
	})
	return sc, done
}

// spec is an exec of args with the container's own settings.
func (sc *scenario) spec(args ...string) ExecSpec {
	p := *sc.proc
	p.Args = args
	return ExecSpec{Process: &p, Seccomp: true}
}

// run execs e with its output captured and returns it and the status.
func (sc *scenario) run(t *testing.T, e ExecSpec) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	e.Stdout, e.Stderr = w, w
	p, err := sc.c.Exec(e)
	w.Close()
	if err != nil {
		t.Fatalf("exec %q: %v", e.Process.Args, err)
	}
	out, _ := io.ReadAll(r)
	code, err := p.Wait()
	if err != nil {
		t.Fatalf("wait for %q: %v", e.Process.Args, err)
	}
	return string(out), code
}

// checkSameContainer: an exec'd shell is in every namespace and the
// cgroup of PID 1, with its capabilities and filters, holds only 0-2,
// and has no parent inside (the agent is outside the PID namespace).
func checkSameContainer(t *testing.T, sc *scenario) {
	in, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inW.Close()
	outR, out, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	e := sc.spec("sh", "-c", "echo $$; cat /proc/$$/status; echo status-end; read x || true")
	e.Stdin, e.Stdout, e.Stderr = in, out, out
	p, err := sc.c.Exec(e)
	in.Close()
	out.Close()
	if err != nil {
		b, _ := io.ReadAll(outR)
		t.Fatalf("%v: %s", err, b)
	}
	inner, inside := readStatus(t, outR)
	// Seen from the host, where ids and pids are the host's.
	status := procStatus(t, p.Pid())
	if inner <= 1 || status["NSpid"] != fmt.Sprintf("%d\t%d", p.Pid(), inner) {
		t.Errorf("echo $$ said %d, NSpid %q; want a pid other than 1 and host pid %d", inner, status["NSpid"], p.Pid())
	}
	if inside["PPid"] != "0" {
		t.Errorf("PPid %q inside the container, want 0: the parent is outside", inside["PPid"])
	}
	pid1Status := procStatus(t, sc.pid1)
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Uid", "Gid", "Groups"} {
		if status[k] != pid1Status[k] {
			t.Errorf("%s: exec'd %q, PID 1 %q", k, status[k], pid1Status[k])
		}
	}
	if status["Seccomp"] != "2" || status["NoNewPrivs"] != "1" {
		t.Errorf("Seccomp %q, NoNewPrivs %q: want a filter and no_new_privs", status["Seccomp"], status["NoNewPrivs"])
	}
	for _, ns := range []string{"pid", "mnt", "net", "user", "uts", "ipc", "cgroup"} {
		if a, b := link(t, p.Pid(), "ns/"+ns), link(t, sc.pid1, "ns/"+ns); a != b {
			t.Errorf("%s namespace: exec'd %s, PID 1 %s", ns, a, b)
		}
	}
	if a, b := readProc(t, p.Pid(), "cgroup"), readProc(t, sc.pid1, "cgroup"); a != b || !strings.Contains(a, "0::/") {
		t.Errorf("cgroup: exec'd %q, PID 1 %q", a, b)
	}
	if procs, err := os.ReadFile(filepath.Join(sc.cgroup, "cgroup.procs")); err != nil || !slices.Contains(strings.Fields(string(procs)), strconv.Itoa(p.Pid())) {
		t.Errorf("the container's cgroup %s holds %q (%v), not the exec'd %d", sc.cgroup, procs, err, p.Pid())
	}
	t.Logf("cgroup %s: %s", sc.cgroup, strings.TrimSpace(readProc(t, p.Pid(), "cgroup")))
	if inside["Cpus_allowed"] == "" {
		t.Error("no status from inside")
	}
	if fds := processFDs(t, p.Pid()); !slices.Equal(fds, []string{"0", "1", "2"}) {
		t.Errorf("the exec'd shell holds descriptors %v, want 0 1 2", fds)
	}
	inW.Close()
	if code, err := p.Wait(); code != 0 || err != nil {
		t.Errorf("the shell: %d, %v", code, err)
	}
}

// readStatus reads the shell's pid and its /proc status.
func readStatus(t *testing.T, r io.Reader) (int, map[string]string) {
	t.Helper()
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		t.Fatalf("no output: %v", sc.Err())
	}
	pid, _ := strconv.Atoi(sc.Text())
	status := map[string]string{}
	for sc.Scan() && sc.Text() != "status-end" {
		k, v, _ := strings.Cut(sc.Text(), ":")
		status[k] = strings.TrimSpace(v)
	}
	return pid, status
}

func procStatus(t *testing.T, pid int) map[string]string {
	status := map[string]string{}
	for _, line := range strings.Split(readProc(t, pid, "status"), "\n") {
		k, v, _ := strings.Cut(line, ":")
		status[k] = strings.TrimSpace(v)
	}
	return status
}

func readProc(t *testing.T, pid int, name string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func link(t *testing.T, pid int, name string) string {
	t.Helper()
	l, err := os.Readlink(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func processFDs(t *testing.T, pid int) []string {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// checkFiles: what an exec writes is in the container's own filesystem.
func checkFiles(t *testing.T, sc *scenario) {
	if out, code := sc.run(t, sc.spec("sh", "-c", "echo from-exec > /tmp/exec-file")); code != 0 {
		t.Fatalf("write: %d %s", code, out)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/tmp/exec-file", sc.pid1))
	if err != nil || string(b) != "from-exec\n" {
		t.Errorf("PID 1's /tmp/exec-file: %q, %v", b, err)
	}
}

// checkStatuses: exit statuses come back, and failures to start have
// Docker's codes, also when several execs run at once.
func checkStatuses(t *testing.T, sc *scenario) {
	codes := make(chan int, 3)
	for _, n := range []int{42, 3, 0} {
		go func() {
			p, err := sc.c.Exec(sc.spec("sh", "-c", fmt.Sprintf("sleep 0.1; exit %d", n)))
			if err != nil {
				codes <- -1
				return
			}
			code, _ := p.Wait()
			codes <- code
		}()
	}
	var got []int
	for range 3 {
		got = append(got, <-codes)
	}
	if slices.Sort(got); !slices.Equal(got, []int{0, 3, 42}) {
		t.Errorf("statuses %v, want 0 3 42", got)
	}
	notDir := sc.spec("true")
	notDir.Process.Cwd = "/nonexistent"
	for _, c := range []struct {
		e    ExecSpec
		code int
		msg  string
	}{
		{sc.spec("no-such-command"), 127, "executable file not found"},
		{sc.spec("/etc/passwd"), 126, "permission denied"},
		{notDir, 126, "/nonexistent"},
	} {
		_, err := sc.c.Exec(c.e)
		var ne *Error
		if !errors.As(err, &ne) || ne.Code != c.code || !strings.Contains(ne.Msg, c.msg) || strings.Contains(ne.Msg, "\n") {
			t.Errorf("exec %q: %v, want a one-line error with %d and %q", c.e.Process.Args, err, c.code, c.msg)
		}
	}
}

// checkEnvironment: the defaults the container's command gets, the user
// resolved in the container's /etc.
func checkEnvironment(t *testing.T, sc *scenario) {
	if out, code := sc.run(t, sc.spec("sh", "-c", "echo $HOSTNAME $HOME $(id -u) $(hostname)")); code != 0 || out != "exectest /root 0 exectest\n" {
		t.Errorf("environment: %q (%d)", out, code)
	}
	e := sc.spec("id")
	e.Process.User = specs.User{Username: "user"}
	_, err := sc.c.Exec(e)
	var ne *Error
	if !errors.As(err, &ne) || ne.Code != 125 || !strings.Contains(ne.Msg, "uid 1000 is not mapped") {
		t.Errorf("exec as an unmapped user: %v", err)
	}
}

// checkPty: with Terminal the command's stdio is a terminal of the
// container's own devpts, whose master comes back.
func checkPty(t *testing.T, sc *scenario) {
	e := sc.spec("sh", "-c", "test -t 0 && test -t 1 && echo is-a-tty; tty")
	e.Process.Terminal = true
	e.Process.ConsoleSize = &specs.Box{Height: 24, Width: 80}
	p, err := sc.c.Exec(e)
	if err != nil {
		t.Fatal(err)
	}
	if p.Pty() == nil {
		t.Fatal("no pty master")
	}
	defer p.Pty().Close()
	out, _ := io.ReadAll(p.Pty()) // EIO once the slave's last holder is gone
	if code, _ := p.Wait(); code != 0 || !strings.Contains(string(out), "is-a-tty") || !strings.Contains(string(out), "/dev/pts/") {
		t.Errorf("pty session: %d, %q", code, out)
	}
}

// checkSignal: a signal reaches the exec'd process, its death comes back.
func checkSignal(t *testing.T, sc *scenario) {
	p, err := sc.c.Exec(sc.spec("sleep", "1000"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, err := p.Wait(); code != 143 || err != nil {
		t.Errorf("after SIGTERM: %d, %v; want 143", code, err)
	}
	if err := p.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("signal after Wait: %v", err)
	}
}

// logExecTime reports what an exec of true costs here (the first exec,
// which seals a copy of the test binary for the helpers, ran before).
func logExecTime(t *testing.T, sc *scenario) {
	const n = 20
	begin := time.Now()
	for range n {
		if _, code := sc.run(t, sc.spec("true")); code != 0 {
			t.Fatalf("true: %d", code)
		}
	}
	t.Logf("exec true, started and waited for: %v each", time.Since(begin)/n)
}

// checkPID1Exit: when PID 1 dies the exec'd processes die with its PID
// namespace, their Wait returns, and exec is refused afterwards.
func checkPID1Exit(t *testing.T, sc *scenario, done chan runResult) {
	p, err := sc.c.Exec(sc.spec("sleep", "1000"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(sc.pid1, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waited := make(chan int, 1)
	go func() {
		code, _ := p.Wait()
		waited <- code
	}()
	select {
	case code := <-waited:
		if code != 137 {
			t.Errorf("the exec'd process after PID 1's death: %d, want 137", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return 10s after PID 1 died")
	}
	if res := <-done; res.code != 137 || res.err != nil {
		t.Errorf("the container: %d, %v; want 137", res.code, res.err)
	}
	done <- runResult{} // for the cleanup
	if _, err := sc.c.Exec(sc.spec("true")); err == nil {
		t.Error("exec after the container ended succeeded")
	}
}
