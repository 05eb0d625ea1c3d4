package e2e

// Detached containers and the commands that manage them: run -d, ps,
// logs, stop, kill, rm, wait, inspect, start, restart, rename, create.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// detached starts a detached container labelled for this test (removed
// with rm -f at its end) and returns its id.
func detached(t *testing.T, args ...string) string {
	t.Helper()
	r := nook(t, append([]string{"run", "-d", "--label", "test=" + t.Name()}, args...)...)
	wantCode(t, r, 0)
	id := strings.TrimSpace(r.Stdout)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d printed %q, want a 64-hex id", r.Stdout)
	}
	t.Cleanup(func() { removeTestContainers(t) })
	return id
}

// removeTestContainers removes every container this test labelled.
func removeTestContainers(t *testing.T) {
	r := nook(t, "ps", "-aq", "--no-trunc", "--filter", "label=test="+t.Name())
	if ids := strings.Fields(r.Stdout); len(ids) > 0 {
		nook(t, append([]string{"rm", "-f"}, ids...)...)
	}
}

type inspectedCtr struct {
	ID    string `json:"Id"`
	Name  string
	State struct {
		Status   string
		Running  bool
		Pid      int
		ExitCode int
		Error    string
	}
	RestartCount int
	Mounts       []struct {
		Type, Source, Destination, Mode string
		RW                              bool
	}
}

func inspectCtr(t *testing.T, ref string) inspectedCtr {
	t.Helper()
	r := nook(t, "inspect", ref)
	wantCode(t, r, 0)
	var out []inspectedCtr
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || len(out) != 1 {
		t.Fatalf("inspect %s: %v\n%s", ref, err, r.Stdout)
	}
	return out[0]
}

// waitState waits until the container's status is state.
func waitState(t *testing.T, ref, state string) inspectedCtr {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c := inspectCtr(t, ref)
		if c.State.Status == state {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s is %q after 20 s, want %q", ref, c.State.Status, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sleeper(t *testing.T, name string) string {
	return detached(t, "--name", name, "--rootfs", rootfs(t), "--", "sleep", "1000")
}

// Two detached sleeps: ps lists both, each is its own PID 1 in its own
// namespaces, the host sees them under their supervisors (not the shell
// that started them), and rm -f leaves nothing.
func TestLifecycleTwoDetached(t *testing.T) {
	a, b := sleeper(t, "walk-a"), sleeper(t, "walk-b")
	r := nook(t, "ps")
	wantCode(t, r, 0)
	for _, want := range []string{a[:12], b[:12], "walk-a", "walk-b", `"sleep 1000"`, "Up "} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("ps lacks %q:\n%s", want, r.Stdout)
		}
	}
	ca, cb := inspectCtr(t, "walk-a"), inspectCtr(t, "walk-b")
	for _, c := range []inspectedCtr{ca, cb} {
		if !c.State.Running || c.State.Pid <= 1 {
			t.Fatalf("%s: %+v", c.Name, c.State)
		}
		if got := nsPids(t, c.State.Pid); len(got) != 2 || got[1] != "1" {
			t.Errorf("%s: NSpid %v, want PID 1 inside", c.Name, got)
		}
		if chain := supervisorChain(t, c.State.Pid); !strings.Contains(chain, "nook") {
			t.Errorf("%s: parent chain %s has no nook supervisor", c.Name, chain)
		}
	}
	for _, ns := range []string{"pid", "net", "mnt", "uts", "ipc"} {
		if nsOf(t, ca.State.Pid, ns) == nsOf(t, cb.State.Pid, ns) {
			t.Errorf("both containers share their %s namespace", ns)
		}
	}
	wantCode(t, nook(t, "rm", "-f", "walk-a", b[:12]), 0)
	for _, pid := range []int{ca.State.Pid, cb.State.Pid} {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			t.Errorf("process %d still exists after rm -f", pid)
		}
	}
	r = nook(t, "ps", "-a", "--filter", "label=test="+t.Name())
	if strings.Contains(r.Stdout, "walk-") {
		t.Errorf("ps -a after rm -f:\n%s", r.Stdout)
	}
	if entries, _ := os.ReadDir(filepath.Join(env.runtimeDir, "nook", "ctl")); len(entries) != 0 {
		t.Errorf("control sockets left: %v", entries)
	}
}

// supervisorChain is the host's parent chain of pid up to PID 1, as
// "comm(pid) < comm(pid) ...": it must pass nook's supervisor, which
// was reparented away from the shell that ran run -d.
func supervisorChain(t *testing.T, pid int) string {
	t.Helper()
	var parts []string
	for p := pid; p > 1; {
		s, err := readStat(p)
		if err != nil {
			t.Fatalf("parent chain of %d: %v", pid, err)
		}
		parts = append(parts, fmt.Sprintf("%s(%d)", s.Comm, s.Pid))
		p = s.PPid
	}
	return strings.Join(parts, " < ")
}

// logs keeps stdout and stderr apart; -f follows until the exit; --tail.
func TestLifecycleLogs(t *testing.T) {
	detached(t, "--name", "logs-1", "--rootfs", rootfs(t), "--", "sh", "-c",
		"for i in 1 2 3 4 5; do echo out $i; echo err $i >&2; sleep 0.2; done")
	s := startNook(t, "logs", "-f", "logs-1")
	res := s.Wait()
	wantCode(t, res, 0)
	if want := "out 1\nout 2\nout 3\nout 4\nout 5\n"; res.Stdout != want {
		t.Errorf("logs -f stdout %q, want %q", res.Stdout, want)
	}
	if want := "err 1\nerr 2\nerr 3\nerr 4\nerr 5\n"; res.Stderr != want {
		t.Errorf("logs -f stderr %q, want %q", res.Stderr, want)
	}
	// --tail counts the lines of both streams, as Docker's does.
	r := nook(t, "logs", "--tail", "4", "logs-1")
	if r.Stdout != "out 4\nout 5\n" || r.Stderr != "err 4\nerr 5\n" {
		t.Errorf("--tail 4: %q %q", r.Stdout, r.Stderr)
	}
	r = nook(t, "logs", "-t", "logs-1")
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT[0-9:.]+Z out 1$`).MatchString(r.Stdout) {
		t.Errorf("-t: %q", r.Stdout)
	}
}

// The exit code reaches wait and inspect; a missing command is 127.
func TestLifecycleExitCodes(t *testing.T) {
	detached(t, "--name", "exit-3", "--rootfs", rootfs(t), "--", "sh", "-c", "sleep 0.3; exit 3")
	r := nook(t, "wait", "exit-3")
	wantCode(t, r, 0)
	if strings.TrimSpace(r.Stdout) != "3" {
		t.Errorf("wait printed %q, want 3", r.Stdout)
	}
	if c := inspectCtr(t, "exit-3"); c.State.Status != "exited" || c.State.ExitCode != 3 {
		t.Errorf("inspect: %+v", c.State)
	}
	r = nook(t, "ps", "-a", "--filter", "name=exit-3")
	if !strings.Contains(r.Stdout, "Exited (3)") {
		t.Errorf("ps -a:\n%s", r.Stdout)
	}
}

// stop sends SIGTERM, then SIGKILL after -t: a PID 1 that ignores SIGTERM
// (a shell) dies of SIGKILL after about that long; one under --init that
// handles it exits at once with 143.
func TestLifecycleStopTimeout(t *testing.T) {
	detached(t, "--name", "stop-shell", "--rootfs", rootfs(t), "--", "sh", "-c", "sleep 1000")
	begin := time.Now()
	wantCode(t, nook(t, "stop", "-t", "1", "stop-shell"), 0)
	if took := time.Since(begin); took < time.Second {
		t.Errorf("stop -t 1 of a shell took %v: it did not wait", took)
	}
	if c := inspectCtr(t, "stop-shell"); c.State.ExitCode != 137 {
		t.Errorf("exit code %d, want 137", c.State.ExitCode)
	}
	detached(t, "--name", "stop-init", "--init", "--rootfs", rootfs(t), "--", "sleep", "1000")
	begin = time.Now()
	wantCode(t, nook(t, "stop", "-t", "20", "stop-init"), 0)
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("stop of --init sleep took %v", took)
	}
	if c := inspectCtr(t, "stop-init"); c.State.ExitCode != 143 {
		t.Errorf("exit code %d, want 143", c.State.ExitCode)
	}
}

// on-failure:2 restarts twice, then leaves the container exited; a
// stopped always-container stays stopped.
func TestLifecycleRestartPolicy(t *testing.T) {
	detached(t, "--name", "restart-fail", "--restart", "on-failure:2", "--rootfs", rootfs(t), "--", "sh", "-c", "echo run; exit 1")
	deadline := time.Now().Add(20 * time.Second)
	for {
		c := inspectCtr(t, "restart-fail")
		if c.State.Status == "exited" && c.RestartCount == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %+v, %d restarts", c.State, c.RestartCount)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if r := nook(t, "logs", "restart-fail"); r.Stdout != "run\nrun\nrun\n" {
		t.Errorf("logs %q, want three runs", r.Stdout)
	}
	detached(t, "--name", "restart-always", "--restart", "always", "--rootfs", rootfs(t), "--", "sleep", "1000")
	wantCode(t, nook(t, "stop", "-t", "1", "restart-always"), 0)
	time.Sleep(time.Second)
	if c := inspectCtr(t, "restart-always"); c.State.Status != "exited" {
		t.Errorf("a stopped always-container is %q", c.State.Status)
	}
}

// A stopped container started again is the same container.
func TestLifecycleStartAgain(t *testing.T) {
	detached(t, "--name", "again", "--rootfs", rootfs(t), "--", "sh", "-c", "echo started; sleep 1000")
	wantCode(t, nook(t, "stop", "-t", "0", "again"), 0)
	wantCode(t, nook(t, "start", "again"), 0)
	waitState(t, "again", "running")
	time.Sleep(300 * time.Millisecond)
	if r := nook(t, "logs", "again"); r.Stdout != "started\nstarted\n" {
		t.Errorf("logs %q, want two starts", r.Stdout)
	}
	wantCode(t, nook(t, "restart", "-t", "0", "again"), 0)
	waitState(t, "again", "running")
}

// Names: a clash is refused naming the holder; rename; an id prefix that
// two containers share is refused listing both.
func TestLifecycleNames(t *testing.T) {
	id := sleeper(t, "dup-name")
	r := nook(t, "run", "-d", "--name", "dup-name", "--rootfs", rootfs(t), "--", "true")
	if r.Code == 0 || !strings.Contains(r.Stderr, `"dup-name" is already in use by container `+id[:12]) {
		t.Errorf("second --name dup-name: %d %q", r.Code, r.Stderr)
	}
	wantCode(t, nook(t, "rename", "dup-name", "renamed"), 0)
	if c := inspectCtr(t, "renamed"); c.ID != id {
		t.Errorf("renamed is %s, want %s", c.ID, id)
	}
	r = nook(t, "run", "-d", "--name", "bad/name", "--rootfs", rootfs(t), "--", "true")
	if r.Code == 0 || !strings.Contains(r.Stderr, "invalid container name") {
		t.Errorf("--name bad/name: %d %q", r.Code, r.Stderr)
	}
	// Containers until two share their first digit.
	seen := map[byte]string{}
	for i := 0; ; i++ {
		r := nook(t, "create", "--label", "test="+t.Name(), "--rootfs", rootfs(t), "--", "true")
		wantCode(t, r, 0)
		id := strings.TrimSpace(r.Stdout)
		if other, ok := seen[id[0]]; ok {
			r := nook(t, "inspect", id[:1])
			if r.Code == 0 || !strings.Contains(r.Stderr, other[:12]) || !strings.Contains(r.Stderr, id[:12]) {
				t.Errorf("ambiguous prefix %s: %d %q", id[:1], r.Code, r.Stderr)
			}
			break
		}
		seen[id[0]] = id
	}
	if r := nook(t, "rm", "no-such-container"); r.Code == 0 || !strings.Contains(r.Stderr, "no such container") {
		t.Errorf("rm of nothing: %d %q", r.Code, r.Stderr)
	}
}

// rm of a running container needs -f; --rm with -d removes it at exit.
func TestLifecycleRemove(t *testing.T) {
	sleeper(t, "rm-running")
	r := nook(t, "rm", "rm-running")
	if r.Code == 0 || !strings.Contains(r.Stderr, "is running") {
		t.Errorf("rm of a running container: %d %q", r.Code, r.Stderr)
	}
	detached(t, "--name", "auto-rm", "--rm", "--rootfs", rootfs(t), "--", "true")
	deadline := time.Now().Add(20 * time.Second)
	for nook(t, "inspect", "auto-rm").Code == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a --rm container is still there 20 s after its exit")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A supervisor killed with SIGKILL takes its container with it, and ps -a
// says why the container ended.
func TestLifecycleSupervisorKilled(t *testing.T) {
	sleeper(t, "orphaned")
	c := inspectCtr(t, "orphaned")
	sup := supervisorOf(t, c.State.Pid)
	if err := syscall.Kill(sup, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", c.State.Pid)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the container outlived its supervisor")
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := inspectCtr(t, "orphaned")
	if got.State.Status != "exited" || !strings.Contains(got.State.Error, "supervisor") {
		t.Errorf("after the supervisor's death: %+v", got.State)
	}
	wantCode(t, nook(t, "rm", "orphaned"), 0)
}

// supervisorOf is the nook process above pid's agent.
func supervisorOf(t *testing.T, pid int) int {
	t.Helper()
	agent, err := readStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	sup, err := readStat(agent.PPid)
	if err != nil {
		t.Fatal(err)
	}
	return sup.PPid
}

// 20 shells at once running run -d, rm -f and ps lose nothing: every
// container started is listed, then removed, and nothing is left.
func TestLifecycleConcurrent(t *testing.T) {
	const n = 20
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan string, 3*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r := nook(t, "run", "-d", "--label", "test="+t.Name(), "--name", fmt.Sprintf("conc-%d", i), "--rootfs", rootfs(t), "--", "sleep", "1000")
			if r.Code != 0 {
				errs <- fmt.Sprintf("run -d %d: %d %s", i, r.Code, r.Stderr)
			}
			ids[i] = strings.TrimSpace(r.Stdout)
		}()
		go func() {
			defer wg.Done()
			if r := nook(t, "ps", "-a"); r.Code != 0 {
				errs <- "ps: " + r.Stderr
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() { removeTestContainers(t) })
	r := nook(t, "ps", "-q", "--no-trunc", "--filter", "label=test="+t.Name())
	if got := len(strings.Fields(r.Stdout)); got != n {
		t.Errorf("ps lists %d running containers of %d", got, n)
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := nook(t, "rm", "-f", fmt.Sprintf("conc-%d", i)); r.Code != 0 {
				errs <- fmt.Sprintf("rm -f %d: %s", i, r.Stderr)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if r := nook(t, "ps", "-aq", "--filter", "label=test="+t.Name()); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("left after rm -f: %q", r.Stdout)
	}
}

// top lists the container's processes and nothing of the host's.
func TestLifecycleTop(t *testing.T) {
	detached(t, "--name", "top-1", "--rootfs", rootfs(t), "--", "sh", "-c", "sleep 1000 & sleep 2000; true")
	time.Sleep(300 * time.Millisecond)
	r := nook(t, "top", "top-1")
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "UID") {
		t.Fatalf("top:\n%s", r.Stdout)
	}
	for _, want := range []string{"sh -c", "sleep 1000", "sleep 2000"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("top lacks %q:\n%s", want, r.Stdout)
		}
	}
}

// A stopped container of an image started again has its own changes,
// its image cannot be removed meanwhile, and rm takes its directory.
func TestLifecycleImageStartKeepsFiles(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Busybox.Ref(t)
	e.pull(ref)
	e.ok("run", "-d", "--name", "keep", ref, "sh", "-c", "echo run >> /kept; cat /kept; sleep 1000")
	t.Cleanup(func() { e.nook("rm", "-f", "keep") })
	e.ok("stop", "-t", "0", "keep")
	e.ok("start", "keep")
	deadline := time.Now().Add(20 * time.Second)
	want := "run\nrun\nrun\n" // the first start's cat, then the second's
	for {
		got := e.ok("logs", "keep").Stdout
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs %q, want %q", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := e.nook("rmi", ref); r.Code == 0 {
		t.Error("rmi removed the image of an existing container")
	}
	e.ok("rm", "-f", "keep")
	if got := e.entries("containers"); len(got) != 0 {
		t.Errorf("containers/ after rm -f: %q", got)
	}
	if got := e.entries("lifecycle"); len(got) != 2 { // names/ and lock
		t.Errorf("lifecycle/ after rm -f: %q", got)
	}
}

// A detached container's published port works, nook port finds it by
// name, ps shows it, and rm -f frees it.
func TestLifecyclePublished(t *testing.T) {
	port := publishablePort(t)
	detached(t, "--name", "pub-1", "--init", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "--rootfs", rootfs(t), "--", "probe", "serve", "tcp", "80")
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "peer ") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer on the published port: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := nook(t, "port", "pub-1"); !strings.Contains(r.Stdout, fmt.Sprintf("80/tcp -> 127.0.0.1:%d", port)) {
		t.Errorf("nook port pub-1: %q %q", r.Stdout, r.Stderr)
	}
	if r := nook(t, "ps", "--filter", "name=pub-1"); !strings.Contains(r.Stdout, fmt.Sprintf("127.0.0.1:%d->80/tcp", port)) {
		t.Errorf("ps:\n%s", r.Stdout)
	}
	wantCode(t, nook(t, "rm", "-f", "pub-1"), 0)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Errorf("the port is still bound after rm -f: %v", err)
	} else {
		ln.Close()
	}
}

// A detached run that cannot start says why, as in the foreground, and
// leaves no container behind.
func TestLifecycleRunErrors(t *testing.T) {
	e := newImageEnv(t)
	r := e.nook("run", "-d", "--name", "never", "--pull", "never", "no-such-image:1")
	if r.Code != 125 || !strings.Contains(r.Stderr, "no-such-image:1 is not in the store") {
		t.Errorf("run -d of a missing image: %d %q", r.Code, r.Stderr)
	}
	if r := e.nook("ps", "-a", "-q"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("left behind: %q", r.Stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--name", "x", "--rootfs", "/", "true"}, "--name needs -d"},
		{[]string{"run", "-d", "--restart", "sometimes", "--rootfs", "/", "true"}, "invalid --restart"},
		{[]string{"run", "-d", "--rm", "--restart", "always", "--rootfs", "/", "true"}, "conflict"},
		{[]string{"run", "-d", "--log-opt", "max-size=lots", "--rootfs", "/", "true"}, "lots"},
		{[]string{"logs", "nothing-of-that-name"}, "no such container"},
		{[]string{"stop", "nothing-of-that-name"}, "no such container"},
	} {
		r := e.nook(c.args...)
		if r.Code == 0 || !strings.Contains(r.Stderr, c.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
			t.Errorf("nook %s: %d %q, want one line with %q", strings.Join(c.args, " "), r.Code, r.Stderr, c.want)
		}
	}
	// A "-d" among a foreground command's own arguments looks like run -d
	// before the flags are parsed (a supervisor is started early, see
	// cli.earlySupervisor): the run is a plain one all the same.
	if r := e.nook("run", "--rm", "--rootfs", rootfs(t), "--", "echo", "-d"); r.Code != 0 || r.Stdout != "-d\n" {
		t.Errorf("foreground run of echo -d: %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	// Every supervisor started for these lines has gone.
	var procs []string
	if !waitUntil(func() bool { procs = netUserProcesses(t); return len(procs) == 0 }) {
		t.Errorf("left running: %q", procs)
	}
	if r := e.nook("ps", "-a", "-q"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("left behind: %q", r.Stdout)
	}
}

// inspect lists the container's volumes and tmpfs mounts.
func TestLifecycleInspectMounts(t *testing.T) {
	vol := userTempDir(t)
	detached(t, "--name", "mounts-1", "-v", vol+":/data:ro", "--tmpfs", "/scratch", "--rootfs", rootfs(t), "--", "sleep", "1000")
	c := inspectCtr(t, "mounts-1")
	if len(c.Mounts) != 2 {
		t.Fatalf("mounts %+v", c.Mounts)
	}
	if m := c.Mounts[0]; m.Type != "bind" || m.Source != vol || m.Destination != "/data" || m.RW || m.Mode != "ro" {
		t.Errorf("volume %+v", m)
	}
	if m := c.Mounts[1]; m.Type != "tmpfs" || m.Destination != "/scratch" || !m.RW {
		t.Errorf("tmpfs %+v", m)
	}
}

// create records a container without running it; start -a runs it,
// prints its output and exits with its status.
func TestLifecycleCreateStartAttach(t *testing.T) {
	t.Cleanup(func() { removeTestContainers(t) })
	r := nook(t, "create", "--label", "test="+t.Name(), "--name", "made", "--rootfs", rootfs(t), "--", "sh", "-c", "echo hello; exit 5")
	wantCode(t, r, 0)
	if c := inspectCtr(t, "made"); c.State.Status != "created" || c.State.Pid != 0 {
		t.Errorf("after create: %+v", c.State)
	}
	if r := nook(t, "logs", "made"); r.Code != 0 || r.Stdout != "" || r.Stderr != "" {
		t.Errorf("logs of a container that never ran: %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := nook(t, "ps", "-a", "--filter", "status=created"); !strings.Contains(r.Stdout, "made") || !strings.Contains(r.Stdout, "Created") {
		t.Errorf("ps -a --filter status=created:\n%s", r.Stdout)
	}
	r = nook(t, "start", "-a", "made")
	if r.Code != 5 || r.Stdout != "hello\n" {
		t.Errorf("start -a: %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if c := inspectCtr(t, "made"); c.State.Status != "exited" || c.State.ExitCode != 5 {
		t.Errorf("after start -a: %+v", c.State)
	}
}

// stop sends the image's StopSignal, and its labels reach ps --filter.
func TestLifecycleImageStopSignal(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Config.Ref(t)
	e.pull(ref)
	e.ok("run", "-d", "--name", "usr1", "--entrypoint", "", ref, "/bin/sh", "-c",
		`trap "echo got usr1; exit 7" USR1; echo ready; while true; do sleep 0.1; done`)
	t.Cleanup(func() { e.nook("rm", "-f", "usr1") })
	deadline := time.Now().Add(20 * time.Second)
	for e.ok("logs", "usr1").Stdout != "ready\n" {
		if time.Now().After(deadline) {
			t.Fatal("the container did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := e.ok("ps", "--filter", "label=org.nook.test=config"); !strings.Contains(r.Stdout, "usr1") {
		t.Errorf("ps --filter of the image's label:\n%s", r.Stdout)
	}
	e.ok("stop", "-t", "20", "usr1")
	if got := e.ok("logs", "usr1").Stdout; got != "ready\ngot usr1\n" {
		t.Errorf("logs %q: the image's stop signal was not sent", got)
	}
	if r := e.ok("wait", "usr1"); strings.TrimSpace(r.Stdout) != "7" {
		t.Errorf("exit code %q, want 7", r.Stdout)
	}
}
