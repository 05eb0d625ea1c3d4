package slirp

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// udpEcho serves on addr, echoing each datagram to its sender.
func udpEcho(t testing.TB, addr string) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

func udpRoundTrip(t testing.TB, c net.Conn, msg string) {
	t.Helper()
	buf := make([]byte, 65536)
	// The first datagram of a flow can race the ARP exchange; retry.
	for try := 0; try < 5; try++ {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err == nil {
			if got := string(buf[:n]); got != msg {
				t.Fatalf("echo: got %q, want %q", got, msg)
			}
			return
		}
	}
	t.Fatalf("no echo of %q", msg)
}

func TestUDPEchoViaGateway(t *testing.T) {
	addr := udpEcho(t, "127.0.0.1:0")
	g := newGuest(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	c := g.dialUDP(t, netip.AddrPortFrom(g.n.gateway, addr.Port()))
	udpRoundTrip(t, c, "ping")
	udpRoundTrip(t, c, string(make([]byte, 60000))) // one large datagram
}

func TestUDPEchoNonLoopback(t *testing.T) {
	ip := hostAddress(t)
	addr := udpEcho(t, netip.AddrPortFrom(ip, 0).String())
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	// Many flows at once, each its own host socket.
	for i := 0; i < 50; i++ {
		c := g.dialUDP(t, addr)
		udpRoundTrip(t, c, fmt.Sprint("flow ", i))
	}
}

func TestUDPGatewayRefusedByDefault(t *testing.T) {
	addr := udpEcho(t, "127.0.0.1:0")
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	c := g.dialUDP(t, netip.AddrPortFrom(g.n.gateway, addr.Port()))
	c.Write([]byte("x"))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Read(make([]byte, 10)); err == nil {
		t.Fatal("an answer from the host's loopback without allow_host_loopback")
	}
}

func TestUDPFlowIdlesOut(t *testing.T) {
	addr := udpEcho(t, "127.0.0.1:0")
	g := newGuest(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}, udpIdle: 200 * time.Millisecond})
	c := g.dialUDP(t, netip.AddrPortFrom(g.n.gateway, addr.Port()))
	udpRoundTrip(t, c, "before")
	waitFor(t, "the idle flow's sockets to close", func() bool { return g.n.track.count() == dnsSockets(g.n) })
	// A new datagram opens a new flow.
	udpRoundTrip(t, c, "after")
}

func dnsSockets(n *Network) int {
	if n.cfg.IPv6 {
		return 2
	}
	return 1
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
