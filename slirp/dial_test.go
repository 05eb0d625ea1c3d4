package slirp

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestDialTCPCarriesClientAddress(t *testing.T) {
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	l := g.listenTCP(t, 8080)
	echoServer(t, l)
	accepted := make(chan net.Addr, 1)
	l2 := g.listenTCP(t, 8081)
	go func() {
		c, err := l2.Accept()
		if err != nil {
			return
		}
		accepted <- c.RemoteAddr()
		c.Close()
	}()
	from := netip.MustParseAddrPort("203.0.113.7:40000")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := g.n.DialTCP(ctx, from, 8081)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := (<-accepted).String(); got != from.String() {
		t.Fatalf("the container saw %s, want %s", got, from)
	}
	e, err := g.n.DialTCP(ctx, from, 8080)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	roundTrip(t, e, "published")
}

func TestDialTCPFromLoopbackUsesGateway(t *testing.T) {
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	l := g.listenTCP(t, 80)
	accepted := make(chan net.Addr, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		accepted <- c.RemoteAddr()
		c.Close()
	}()
	c, err := g.n.DialTCP(context.Background(), netip.MustParseAddrPort("127.0.0.1:5555"), 80)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	got := (<-accepted).(*net.TCPAddr).AddrPort().Addr()
	if got != g.n.gateway {
		t.Fatalf("the container saw %s, want the gateway %s", got, g.n.gateway)
	}
}

func TestDialTCPClosedPort(t *testing.T) {
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := g.n.DialTCP(ctx, netip.MustParseAddrPort("198.51.100.1:1000"), 9999); err == nil {
		c.Close()
		t.Fatal("connected to a port nothing listens on")
	}
}

func TestDialUDPCarriesClientAddress(t *testing.T) {
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	laddr := toFull(netip.AddrPortFrom(g.addr, 5353))
	pc, err := gonetListenUDP(g, &laddr)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	from := netip.MustParseAddrPort("203.0.113.9:41000")
	c, err := g.n.DialUDP(from, 5353)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	for try := 0; try < 5; try++ {
		c.Write([]byte("q"))
		pc.SetReadDeadline(time.Now().Add(time.Second))
		n, src, err := pc.ReadFrom(buf)
		if err != nil {
			continue
		}
		if src.String() != from.String() || string(buf[:n]) != "q" {
			t.Fatalf("got %q from %s", buf[:n], src)
		}
		pc.WriteTo([]byte("a"), src)
		c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(buf); err != nil || string(buf[:n]) != "a" {
			t.Fatalf("reply: %q, %v", buf[:n], err)
		}
		return
	}
	t.Fatal("the datagram never arrived")
}
