package slirp

import (
	"bufio"
	"crypto/sha256"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// echoServer accepts on l and echoes every connection until l closes.
func echoServer(t testing.TB, l net.Listener) {
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
}

func listenHost(t testing.TB, addr string) (net.Listener, netip.AddrPort) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return l, l.Addr().(*net.TCPAddr).AddrPort()
}

func roundTrip(t testing.TB, c net.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(c, msg+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if got != msg+"\n" {
		t.Fatalf("echo: got %q, want %q", got, msg)
	}
}

func TestTCPGatewayReachesHostLoopbackWhenAllowed(t *testing.T) {
	l, addr := listenHost(t, "127.0.0.1:0")
	echoServer(t, l)
	g := newGuest(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	c, err := g.dialTCP(t, netip.AddrPortFrom(g.n.gateway, addr.Port()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, "hello through the gateway")
}

func TestTCPGatewayRefusedByDefault(t *testing.T) {
	l, addr := listenHost(t, "127.0.0.1:0")
	echoServer(t, l)
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	c, err := g.dialTCP(t, netip.AddrPortFrom(g.n.gateway, addr.Port()))
	if err == nil {
		c.Close()
		t.Fatal("connected to the host's loopback without allow_host_loopback")
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Fatalf("want connection refused, got %v", err)
	}
}

func TestTCPRefusedWhenHostDialFails(t *testing.T) {
	// A port just closed on the host: the container sees the refusal.
	l, addr := listenHost(t, "127.0.0.1:0")
	l.Close()
	g := newGuest(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	if c, err := g.dialTCP(t, netip.AddrPortFrom(g.n.gateway, addr.Port())); err == nil {
		c.Close()
		t.Fatal("connected to a closed port")
	}
}

// hostAddress returns a non-loopback IPv4 address of this host.
func hostAddress(t testing.TB) netip.Addr {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() {
			return p.Addr()
		}
	}
	t.Fatal("this host has no non-loopback IPv4 address to test with")
	return netip.Addr{}
}

func TestTCPToNonLoopbackHostAddress(t *testing.T) {
	ip := hostAddress(t)
	l, addr := listenHost(t, netip.AddrPortFrom(ip, 0).String())
	echoServer(t, l)
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	c, err := g.dialTCP(t, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, "hello "+ip.String())
}

func TestTCPLoopbackDestinationNeverForwarded(t *testing.T) {
	l, addr := listenHost(t, "127.0.0.1:0")
	echoServer(t, l)
	g := newGuest(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	n := g.n
	if _, err := n.hostTarget(addr); err == nil {
		t.Fatalf("%s would be forwarded", addr)
	}
	inSubnet := netip.AddrPortFrom(netip.MustParseAddr("10.0.2.50"), 80)
	if _, err := n.hostTarget(inSubnet); err == nil {
		t.Fatalf("%s would be forwarded", inSubnet)
	}
}

// TestTCPTransfer sends 256 MiB each way through the stack at once and
// compares checksums: the server on the host echoes what it reads.
func TestTCPTransfer(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 16 << 20
	}
	l, addr := listenHost(t, "127.0.0.1:0")
	echoServer(t, l)
	g := newGuest(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	c, err := g.dialTCP(t, netip.AddrPortFrom(g.n.gateway, addr.Port()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkEcho(t, c, size)
}

// checkEcho writes size bytes to c while reading them back, and compares
// checksums.
func checkEcho(t testing.TB, c net.Conn, size int64) {
	t.Helper()
	sent := make(chan []byte, 1)
	go func() {
		h := sha256.New()
		src := io.TeeReader(io.LimitReader(newPattern(), size), h)
		if _, err := io.Copy(c, src); err != nil {
			t.Error(err)
		}
		c.(interface{ CloseWrite() error }).CloseWrite()
		sent <- h.Sum(nil)
	}()
	h := sha256.New()
	got, err := io.Copy(h, c)
	if err != nil {
		t.Fatal(err)
	}
	if got != size {
		t.Fatalf("received %d bytes, sent %d", got, size)
	}
	if want := <-sent; string(h.Sum(nil)) != string(want) {
		t.Fatal("checksum of the echoed stream differs")
	}
}

// pattern is an endless, cheap, non-repeating-looking byte stream.
type pattern struct{ x uint64 }

func newPattern() *pattern { return &pattern{x: 88172645463325252} }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		p.x ^= p.x << 13
		p.x ^= p.x >> 7
		p.x ^= p.x << 17
		b[i] = byte(p.x)
	}
	return len(b), nil
}
