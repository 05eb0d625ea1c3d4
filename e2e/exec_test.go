package e2e

// nook exec: a new process in all of a running container's namespaces,
// with its security settings, its status propagated.

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The walkthrough's exec half: in two containers of one image, ps in each
// shows its own PID 1 and nothing of the other, and a file one exec
// writes is absent in the other.
func TestExecTwoContainers(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Busybox.Ref(t)
	e.pull(ref)
	for _, name := range []string{"ex-a", "ex-b"} {
		e.ok("run", "-d", "--name", name, ref, "sleep", "1000")
		t.Cleanup(func() { e.nook("rm", "-f", name) })
	}
	for _, name := range []string{"ex-a", "ex-b"} {
		out := e.ok("exec", name, "ps", "-o", "pid,comm").Stdout
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || !strings.Contains(lines[1], "1 sleep") || !strings.Contains(lines[2], "ps") {
			t.Errorf("%s: ps shows\n%s", name, out)
		}
	}
	e.ok("exec", "ex-a", "touch", "/only-in-a")
	e.ok("exec", "ex-a", "ls", "/only-in-a")
	if r := e.nook("exec", "ex-b", "ls", "/only-in-a"); r.Code != 1 {
		t.Errorf("ex-b sees ex-a's file: %d %q", r.Code, r.Stdout)
	}
}

// The exec'd process is in every namespace and the cgroup of the
// container's PID 1, with its capabilities, no_new_privs and seccomp.
func TestExecSameNamespacesAndSecurity(t *testing.T) {
	sleeper(t, "ex-ns")
	c := inspectCtr(t, "ex-ns")
	wantCode(t, nook(t, "exec", "-d", "ex-ns", "sleep", "555"), 0)
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for pid == 0 {
		for _, p := range processesOf(t, c.State.Pid) {
			if cmdline(p) == "sleep 555" {
				pid = p
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the exec'd sleep 555 is not in the container")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, ns := range []string{"pid", "mnt", "net", "user", "uts", "ipc", "cgroup"} {
		if a, b := nsOf(t, pid, ns), nsOf(t, c.State.Pid, ns); a != b {
			t.Errorf("%s namespace: exec %s, PID 1 %s", ns, a, b)
		}
	}
	for _, field := range []string{"CapEff", "CapBnd", "CapPrm", "NoNewPrivs", "Seccomp"} {
		if a, b := procStatus(t, pid, field), procStatus(t, c.State.Pid, field); a != b {
			t.Errorf("%s: exec %s, PID 1 %s", field, a, b)
		}
	}
	if a, b := readFile(t, fmt.Sprintf("/proc/%d/cgroup", pid)), readFile(t, fmt.Sprintf("/proc/%d/cgroup", c.State.Pid)); a != b {
		t.Errorf("cgroup: exec %q, PID 1 %q", a, b)
	}
	if got := nsPids(t, pid); len(got) != 2 || got[1] == "1" {
		t.Errorf("NSpid of the exec'd process: %v", got)
	}
}

// Statuses, stdio, environment, working directory, user, a pty.
func TestExecOptions(t *testing.T) {
	sleeper(t, "ex-opt")
	if r := nook(t, "exec", "ex-opt", "sh", "-c", "echo out; echo err >&2; exit 42"); r.Code != 42 || r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Errorf("exit 42: %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := nook(t, "exec", "ex-opt", "/no/such/command"); r.Code != 127 {
		t.Errorf("missing command: %d %q", r.Code, r.Stderr)
	}
	cmd := nookCmd(t, "exec", "-i", "ex-opt", "cat")
	cmd.Stdin = strings.NewReader("through stdin\n")
	if r := run(t, cmd); r.Stdout != "through stdin\n" {
		t.Errorf("exec -i cat: %q", r.Stdout)
	}
	r := nook(t, "exec", "-e", "FOO=bar", "-w", "/tmp", "-u", "1000:1000", "ex-opt", "sh", "-c", "echo $FOO; pwd; id -u; id -g")
	if r.Stdout != "bar\n/tmp\n1000\n1000\n" {
		t.Errorf("-e -w -u: %q %q", r.Stdout, r.Stderr)
	}
	p := startPty(t, nookCmd(t, "exec", "-it", "ex-opt", "sh", "-c", "tty; stty size"), 33, 99)
	p.Expect("/dev/pts/", 10*time.Second)
	p.Expect("33 99", 10*time.Second)
	wantCode(t, p.Wait(), 0)
	if r := nook(t, "exec", "walk-nothing", "true"); r.Code == 0 || !strings.Contains(r.Stderr, "no such container") {
		t.Errorf("exec in nothing: %d %q", r.Code, r.Stderr)
	}
	wantCode(t, nook(t, "stop", "-t", "0", "ex-opt"), 0)
	if r := nook(t, "exec", "ex-opt", "true"); r.Code == 0 || !strings.Contains(r.Stderr, "not running") {
		t.Errorf("exec in a stopped container: %d %q", r.Code, r.Stderr)
	}
}

// processesOf lists the host pids in the PID namespace of pid.
func processesOf(t *testing.T, pid int) []int {
	t.Helper()
	ns := nsOf(t, pid, "pid")
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		var p int
		if _, err := fmt.Sscan(e.Name(), &p); err != nil {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p)); err == nil && l == ns {
			out = append(out, p)
		}
	}
	return out
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

func procStatus(t *testing.T, pid int, field string) string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, fmt.Sprintf("/proc/%d/status", pid)), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return ""
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
