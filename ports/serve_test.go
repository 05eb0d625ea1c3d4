package ports

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func both(t *testing.T, f func(t *testing.T, opaque bool)) {
	t.Run("kernel", func(t *testing.T) { f(t, false) })
	t.Run("opaque", func(t *testing.T) { f(t, true) })
}

func TestServeTCPEcho(t *testing.T) {
	both(t, func(t *testing.T, opaque bool) {
		d := &fakeDialer{tcp: map[uint16]string{80: tcpServer(t, echo)}, opaque: opaque}
		_, addr := serve(t, d, "127.0.0.1::80")
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		go func() { _, _ = c.Write(data) }()
		got := make([]byte, len(data))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatal("echoed data differs")
		}
		client := c.LocalAddr().(*net.TCPAddr).AddrPort()
		if froms := d.seen(); len(froms) != 1 || froms[0] != client {
			t.Errorf("dialed from %v, want the client's address %v", froms, client)
		}
	})
}

// TestServeHalfClose: the client shuts down its sending side and still
// reads the answer the server sends after seeing EOF.
func TestServeHalfClose(t *testing.T) {
	both(t, func(t *testing.T, opaque bool) {
		count := func(c net.Conn) {
			n, _ := io.Copy(io.Discard, c)
			fmt.Fprintf(c, "got %d bytes", n)
		}
		d := &fakeDialer{tcp: map[uint16]string{80: tcpServer(t, count)}, opaque: opaque}
		_, addr := serve(t, d, "127.0.0.1::80")
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(make([]byte, 100000)); err != nil {
			t.Fatal(err)
		}
		if err := c.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "got 100000 bytes" {
			t.Fatalf("after half-close read %q, %v", got, err)
		}
	})
}

func TestServeConcurrent(t *testing.T) {
	d := &fakeDialer{tcp: map[uint16]string{80: tcpServer(t, echo)}, opaque: true}
	_, addr := serve(t, d, "127.0.0.1::80")
	const n = 200
	errs := make(chan error, n)
	var conns sync.WaitGroup
	for i := range n {
		conns.Add(1)
		go func() {
			defer conns.Done()
			errs <- echoOnce(addr, fmt.Sprintf("hello %d", i))
		}()
	}
	conns.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(d.seen()); got != n {
		t.Errorf("%d dials, want %d", got, n)
	}
}

// echoOnce holds a connection open until its echo came back.
func echoOnce(addr, msg string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		return fmt.Errorf("echo of %q: %q, %v", msg, got, err)
	}
	return nil
}

// TestServeNoServer: when the container side refuses, the client sees
// its connection end, not a hang.
func TestServeNoServer(t *testing.T) {
	d := &fakeDialer{}
	_, addr := serve(t, d, "127.0.0.1::80")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return // reset before connect returned: as good as a reset after
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if err == nil || os.IsTimeout(err) {
		t.Fatalf("read from a connection to no server: %v", err)
	}
}

func TestServeUDPTwoClients(t *testing.T) {
	d := &fakeDialer{udp: map[uint16]string{53: udpEcho(t)}}
	_, addr := serve(t, d, "127.0.0.1::53/udp")
	var clients []net.Conn
	for range 2 {
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	for round := range 3 {
		for i, c := range clients {
			msg := fmt.Sprintf("client %d round %d", i, round)
			if err := udpAsk(c, msg, "echo:"+msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	froms := d.seen()
	if len(froms) != 2 {
		t.Fatalf("%d flows dialed (%v), want one per client", len(froms), froms)
	}
	for i, c := range clients {
		if want := c.LocalAddr().(*net.UDPAddr).AddrPort(); froms[i] != want {
			t.Errorf("flow %d dialed from %v, want %v", i, froms[i], want)
		}
	}
}

func udpAsk(c net.Conn, msg, want string) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != want {
		return fmt.Errorf("sent %q, got %q, %v", msg, buf[:n], err)
	}
	return nil
}

func TestServeUDPIdle(t *testing.T) {
	d := &fakeDialer{udp: map[uint16]string{53: udpEcho(t)}}
	ms := mustParse(t, "127.0.0.1::53/udp")
	b, err := Listen(ms)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.udpIdle = 100 * time.Millisecond
	b.Serve(d)
	c, err := net.Dial("udp", b.Ports()[0].HostAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := udpAsk(c, "a", "echo:a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the idle flow to end", func() bool { return flows(b) == 0 })
	// The next datagram starts a new flow.
	if err := udpAsk(c, "b", "echo:b"); err != nil {
		t.Fatal(err)
	}
	if got := len(d.seen()); got != 2 {
		t.Errorf("%d flows, want 2", got)
	}
}

func flows(b *Bound) int {
	u := b.udp[0]
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.flows)
}

// TestCloseLeavesNothing runs many cycles of bind, traffic (an open TCP
// connection and a UDP flow) and Close, then counts goroutines and fds.
func TestCloseLeavesNothing(t *testing.T) {
	d := &fakeDialer{tcp: map[uint16]string{80: tcpServer(t, echo)}, udp: map[uint16]string{53: udpEcho(t)}, opaque: true}
	cycle := func() {
		b, err := Listen(mustParse(t, "127.0.0.1::80", "127.0.0.1::53/udp"))
		if err != nil {
			t.Fatal(err)
		}
		b.Serve(d)
		ps := b.Ports()
		c, err := net.Dial("tcp", ps[0].HostAddr())
		if err != nil {
			t.Fatal(err)
		}
		u, err := net.Dial("udp", ps[1].HostAddr())
		if err != nil {
			t.Fatal(err)
		}
		if err := udpAsk(u, "x", "echo:x"); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, "x"); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		b.Close() // with the connection and the flow still open
		c.Close()
		u.Close()
	}
	cycle() // warm up: the servers' goroutines, pools
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	for range 100 {
		cycle()
	}
	// The fake servers' per-connection goroutines end on their own time.
	waitFor(t, "goroutines and fds to settle", func() bool {
		return runtime.NumGoroutine() <= goroutines && openFDs(t) <= fds
	})
}

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	t.Fatalf("timed out waiting for %s (%d goroutines):\n%s", what, runtime.NumGoroutine(), strings.TrimSpace(stacks))
}

// TestCloseStopsListening: after Close the host port is free again.
func TestCloseStopsListening(t *testing.T) {
	b, err := Listen(mustParse(t, "127.0.0.1::80"))
	if err != nil {
		t.Fatal(err)
	}
	b.Serve(&fakeDialer{})
	addr := b.Ports()[0].HostAddr()
	b.Close()
	b.Close()
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("still listening after Close")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port not free after Close: %v", err)
	}
	ln.Close()
}
