package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A stack under test runs in a process of its own, started for one
// namespace. The protocol with it: it prints "ready GATEWAY" once the TAP
// is served, or exits with the reason on stderr; it stops, cleaning up,
// when its stdin closes.
type stackSpec struct {
	name string
	// what says, for the table, what the process runs.
	what string
	// ownTap: the benchmark creates tap0 and passes it as fd 3; otherwise
	// the stack creates it itself (RootlessKit's parent does, with ip
	// tuntap through nsenter) and is given the holder's pid.
	ownTap bool
	// argv is the command; a "PID" argument is replaced by the holder's.
	argv func(gvtap string) []string
}

var stacks = []stackSpec{
	{
		name:   "nook",
		what:   "nook/slirp: gVisor netstack on the TAP fd (slirp.Start)",
		ownTap: true,
		argv:   func(string) []string { return []string{self(), "serve-nook"} },
	},
	{
		name:   "gvtap",
		what:   "gvisor-tap-vsock virtualnetwork, AcceptBess over a SOCK_SEQPACKET socketpair + TAP adapter",
		ownTap: true,
		argv:   func(g string) []string { return []string{g, "bess"} },
	},
	{
		name: "rootlesskit",
		what: "RootlessKit v3 gvisor-tap-vsock driver: child TAP↔stream copier, parent AcceptStdio",
		argv: func(g string) []string { return []string{g, "rootlesskit", "PID"} },
	},
}

func self() string {
	p, err := os.Executable()
	if err != nil {
		return os.Args[0]
	}
	return p
}

// defaultGvtap is stacks-gvtap beside this binary.
func defaultGvtap() string { return filepath.Join(filepath.Dir(self()), "stacks-gvtap") }

type server struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  *lockedBuffer
	gateway string
}

func startServer(spec stackSpec, ns *namespace, gvtap string) (*server, error) {
	argv := spec.argv(gvtap)
	for i, a := range argv {
		if a == "PID" {
			argv[i] = strconv.Itoa(ns.pid())
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	s := &server{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	if spec.ownTap {
		tap, err := ns.openTap()
		if err != nil {
			return nil, err
		}
		// The child has its own copy once started.
		defer tap.Close()
		cmd.ExtraFiles = []*os.File{tap}
	}
	var err error
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.name, err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		gw, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
		if !ok {
			s.stop()
			return nil, fmt.Errorf("%s did not start: %s", spec.name, s.stderrTail())
		}
		s.gateway = gw
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s: not ready after 30 s: %s", spec.name, s.stderrTail())
	}
	return s, nil
}

// peakRSS is the server process's VmHWM in bytes: the stack, its relays
// and (rootlesskit) the child's copier, which RootlessKit runs in its
// child process and this benchmark in the same one.
func (s *server) peakRSS() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is the user and system time the server process has used.
func (s *server) cpuTime() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses: utime
	// and stime are the 12th and 13th, in clock ticks (USER_HZ, 100).
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * (time.Second / 100)
}

// stop closes the server's stdin and waits for it, killing it after 10 s.
func (s *server) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

func (s *server) stderrTail() string {
	b := bytes.TrimSpace(s.stderr.Bytes())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// lockedBuffer collects a child's stderr, written by exec's copier and
// read by us.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
