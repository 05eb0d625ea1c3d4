package e2e

// The fast path of published TCP ports: connections come in through the
// agent, a process of nook's in the container's namespaces but not in
// its PID namespace, with the kernel's stack on both sides.

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The agent sits between nook and the container's PID 1, shares the
// container's user, mount and network namespaces, and is not in its PID
// namespace: nothing in the container can name it.
func TestPortsAgentOutsidePIDNamespace(t *testing.T) {
	s, _, server := publishedProbe(t)
	pid1 := server.PPid // --init: the reaper
	if got := nsPids(t, pid1); len(got) != 2 || got[1] != "1" {
		t.Fatalf("the server's parent %d has NSpid %v, want the container's PID 1", pid1, got)
	}
	agent, err := readStat(pid1)
	if err != nil {
		t.Fatal(err)
	}
	agentPid := agent.PPid
	if agentPid == s.Pid() {
		t.Fatalf("the container's PID 1 is nook's child: no agent")
	}
	for _, ns := range []string{"user", "net", "mnt", "uts", "ipc"} {
		if a, c := nsOf(t, agentPid, ns), nsOf(t, pid1, ns); a != c {
			t.Errorf("%s namespace: agent %s, container %s", ns, a, c)
		}
	}
	if a, c := nsOf(t, agentPid, "pid"), nsOf(t, pid1, "pid"); a == c {
		t.Errorf("the agent is in the container's PID namespace %s", c)
	}
	if a, h := nsOf(t, agentPid, "pid"), nsOf(t, os.Getpid(), "pid"); a != h {
		t.Errorf("the agent's PID namespace %s is not the host's %s", a, h)
	}
	if got := nsPids(t, agentPid); len(got) != 1 {
		t.Errorf("the agent has pids %v: it must have none inside the container", got)
	}
}

// A published TCP connection does not cross the user-mode network: 64 MiB
// echoed through -p leave the container's tap0 counters (nearly) as they
// were, and arrive intact.
func TestPortsKernelPath(t *testing.T) {
	_, port, server := publishedProbe(t)
	before := tapBytes(t, server.Pid)
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	const size = 64 << 20
	sent := sha256.New()
	go func() {
		_, _ = io.CopyN(io.MultiWriter(c, sent), pattern{}, size)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("peer line: %v", err)
	}
	got := sha256.New()
	n, err := io.Copy(got, r)
	if err != nil || n != size {
		t.Fatalf("echoed %d bytes of %d: %v", n, size, err)
	}
	if string(got.Sum(nil)) != string(sent.Sum(nil)) {
		t.Error("the echo differs from what was sent")
	}
	if moved := tapBytes(t, server.Pid) - before; moved > 1<<20 {
		t.Errorf("%d bytes crossed tap0 for a %d-byte echo: the connection went through the user-mode stack", moved, size)
	}
}

// pattern is an endless reader of bytes that are not all the same.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i * 7)
	}
	return len(p), nil
}

// tapBytes is tap0's received plus sent bytes in the network namespace of
// pid, from the host's /proc.
func tapBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || name != "tap0" {
			continue
		}
		f := strings.Fields(rest)
		rx, err1 := strconv.ParseInt(f[0], 10, 64)
		tx, err2 := strconv.ParseInt(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("tap0 line %q", line)
		}
		return rx + tx
	}
	t.Fatalf("no tap0 in /proc/%d/net/dev:\n%s", pid, b)
	return 0
}

// publishedProbe starts `probe serve tcp 80` published on a free port of
// 127.0.0.1 (stopped at the end of the test) and finds the probe's process.
func publishedProbe(t *testing.T) (*session, int, proc) {
	t.Helper()
	port := publishablePort(t)
	s := startServer(t, []string{"-p", fmt.Sprintf("127.0.0.1:%d:80", port)}, "tcp", 80)
	t.Cleanup(func() { stop(t, s) })
	server := withComm(descendants(t, s.Pid()), "probe")
	if len(server) != 1 {
		t.Fatalf("%d probe processes under nook", len(server))
	}
	return s, port, server[0]
}

func nsOf(t *testing.T, pid int, ns string) string {
	t.Helper()
	l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
	if err != nil {
		t.Fatal(err)
	}
	return l
}
