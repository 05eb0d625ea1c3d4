package container

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"nook/messages"
)

// startedAgent is the host side of an agent whose end of the socket the
// test drives (returned), after a Started message.
func startedAgent(t *testing.T) (*agent, int) {
	t.Helper()
	a, child, err := newAgent()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close() })
	r, w, err := os.Pipe() // stands in for the init's pidfd
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := messages.SendAgent(child, messages.AgentMsg{Kind: messages.AgentStarted, Pid: 4242}, int(r.Fd())); err != nil {
		t.Fatal(err)
	}
	a.startReading()
	if err := <-a.started; err != nil {
		t.Fatal(err)
	}
	if a.initPid != 4242 || a.pidfd < 0 {
		t.Fatalf("started: pid %d, pidfd %d", a.initPid, a.pidfd)
	}
	return a, child
}

// answer reads one Connect and answers it with a socket connected to ln,
// or with errText. It runs beside the code under test: it reports with
// t.Error, never stops the test.
func answer(t *testing.T, child int, ln net.Listener, errText string) messages.AgentMsg {
	m, _, err := messages.RecvAgent(child)
	if err != nil || m.Kind != messages.AgentConnect || m.Mark != publishedMark {
		t.Errorf("request %+v, %v", m, err)
		return m
	}
	reply := messages.AgentMsg{Kind: messages.AgentConnected, ID: m.ID, Error: errText}
	if errText != "" {
		if err := messages.SendAgent(child, reply); err != nil {
			t.Error(err)
		}
		return m
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Error(err)
		return m
	}
	defer c.Close()
	f, _ := c.(*net.TCPConn).File()
	defer f.Close()
	if err := messages.SendAgent(child, reply, int(f.Fd())); err != nil {
		t.Error(err)
	}
	return m
}

func TestAgentConnect(t *testing.T) {
	a, child := startedAgent(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	from, to := netip.MustParseAddrPort("192.0.2.9:4000"), netip.MustParseAddrPort("10.0.2.100:80")
	got := make(chan messages.AgentMsg, 1)
	go func() { got <- answer(t, child, ln, "") }()
	c, err := a.connect(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m := <-got; m.From != from || m.To != to {
		t.Errorf("asked for %s -> %s, want %s -> %s", m.From, m.To, from, to)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := s.Read(b); err != nil || b[0] != 'x' {
		t.Errorf("read %q, %v", b, err)
	}

	go answer(t, child, ln, "connect to 10.0.2.100:80 from 192.0.2.9:4000: connection refused")
	if _, err := a.connect(context.Background(), from, to); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("refused: %v", err)
	}
}

// A client that gives up does not leak the socket the agent sends late.
func TestAgentConnectGivenUp(t *testing.T) {
	a, child := startedAgent(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	before := openFDs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := a.connect(ctx, netip.MustParseAddrPort("192.0.2.9:1"), netip.MustParseAddrPort("10.0.2.100:80")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("connect: %v", err)
	}
	answer(t, child, ln, "")
	deadline := time.Now().Add(5 * time.Second)
	for openFDs(t) > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := openFDs(t); n > before {
		t.Errorf("%d descriptors open, %d before: the late socket leaked", n, before)
	}
}

// When the agent is gone, waiting and new connections fail at once.
func TestAgentGone(t *testing.T) {
	a, child := startedAgent(t)
	done := make(chan error, 1)
	go func() {
		_, err := a.connect(context.Background(), netip.MustParseAddrPort("192.0.2.9:1"), netip.MustParseAddrPort("10.0.2.100:80"))
		done <- err
	}()
	if _, _, err := messages.RecvAgent(child); err != nil {
		t.Fatal(err)
	}
	unix.Close(child)
	if err := <-done; !errors.Is(err, errAgentGone) {
		t.Errorf("waiting connect: %v", err)
	}
	if _, err := a.connect(context.Background(), netip.MustParseAddrPort("192.0.2.9:1"), netip.MustParseAddrPort("10.0.2.100:80")); err == nil {
		t.Error("connect after the agent is gone succeeded")
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
