package slirp

import (
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestCloseLeavesNothing runs many networks, each with a TCP connection, a
// UDP flow and a DNS query in flight, and checks that Close gives back
// every goroutine and fd.
func TestCloseLeavesNothing(t *testing.T) {
	l, addr := listenHost(t, "127.0.0.1:0")
	echoServer(t, l)
	uaddr := udpEcho(t, "127.0.0.1:0")
	up := fakeDNS(t, [4]byte{192, 0, 2, 1})
	// Warm up once: the runtime's own goroutines and fds (the poller's
	// epoll fd) appear on first use.
	cycle(t, addr, uaddr, up)
	settle()
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	for i := 0; i < 50; i++ {
		cycle(t, addr, uaddr, up)
	}
	waitFor(t, "goroutines to end", func() bool { settle(); return runtime.NumGoroutine() <= goroutines })
	// The host-side test servers close their ends asynchronously.
	if countFDs(t) > fds {
		time.Sleep(time.Second)
		if got := countFDs(t); got > fds {
			ents, _ := os.ReadDir("/proc/self/fd")
			for _, e := range ents {
				l, _ := os.Readlink("/proc/self/fd/" + e.Name())
				t.Log(e.Name(), l)
			}
			t.Fatalf("%d fds open after the cycles, %d before", got, fds)
		}
	}
	// Close is idempotent.
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	g.n.Close()
	g.n.Close()
}

func cycle(t *testing.T, tcpAddr, udpAddr, dnsAddr netip.AddrPort) {
	g := newGuest(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{dnsAddr}})
	c, err := g.dialTCP(t, netip.AddrPortFrom(g.n.gateway, tcpAddr.Port()))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "leak?")
	u := g.dialUDP(t, netip.AddrPortFrom(g.n.gateway, udpAddr.Port()))
	udpRoundTrip(t, u, "leak?")
	d := g.dialUDP(t, netip.AddrPortFrom(g.n.dns, 53))
	d.Write(query(1, "leak.test"))
	// Close with the connections open: Close must end them.
	g.close()
	c.Close()
}

func settle() {
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
}

// countFDs counts the open fds, except pipes: the net package keeps a pool
// of splice pipes for the test's echo servers (io.Copy between sockets).
func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); !strings.HasPrefix(l, "pipe:") {
			n++
		}
	}
	return n
}

// TestCloseDoesNotWaitForUpstreams closes a network while a query waits
// for an upstream that never answers.
func TestCloseDoesNotWaitForUpstreams(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 512)
		if _, _, err := pc.ReadFrom(buf); err == nil {
			got <- struct{}{}
		}
	}()
	g := newGuest(t, Config{DNS: []netip.AddrPort{pc.LocalAddr().(*net.UDPAddr).AddrPort()}})
	d := g.dialUDP(t, netip.AddrPortFrom(g.n.dns, 53))
	for {
		d.Write(query(9, "silent.test"))
		select {
		case <-got:
		case <-time.After(200 * time.Millisecond):
			continue
		}
		break
	}
	start := time.Now()
	g.n.Close()
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("Close took %v", el)
	}
}
