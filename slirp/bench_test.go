package slirp

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// The throughput benchmarks send b.N MiB over one connection and report
// Gbps. "Tap" ones have the kernel of a test network namespace as the
// container (root only); "Stack" ones a second gVisor stack over a
// socketpair, which also spends its own CPU and so reads low.

const benchChunk = 1 << 20

func BenchmarkTapGuestToHost(b *testing.B) {
	addr := sink(b)
	ns, n := startOnTap(b, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	c := ns.dial(b, "tcp", netip.AddrPortFrom(n.gateway, addr.Port()))
	send(b, c)
}

func BenchmarkTapHostToGuest(b *testing.B) {
	ns, n := startOnTap(b, Config{DNS: []netip.AddrPort{}})
	l := ns.listen(b, 5201)
	go discardAll(l)
	c, err := n.DialTCP(b.Context(), netip.MustParseAddrPort("203.0.113.1:40000"), 5201)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	send(b, c)
}

func BenchmarkStackGuestToHost(b *testing.B) {
	addr := sink(b)
	g := newGuest(b, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	c, err := g.dialTCP(b, netip.AddrPortFrom(g.n.gateway, addr.Port()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	send(b, c)
}

// sink is a host TCP server on 127.0.0.1 that reads and discards.
func sink(b *testing.B) netip.AddrPort {
	l, addr := listenHost(b, "127.0.0.1:0")
	b.Cleanup(func() { l.Close() })
	go discardAll(l)
	return addr
}

func discardAll(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			io.Copy(io.Discard, c)
			c.Close()
		}()
	}
}

// send writes b.N MiB to c and reports the rate. The receiver's last
// bytes may still be in flight when the writes return; with MiBs of
// buffers against hundreds of MiB sent, that error is small.
func send(b *testing.B, c net.Conn) {
	buf := make([]byte, benchChunk)
	b.SetBytes(benchChunk)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)*benchChunk*8/el.Seconds()/1e9, "Gbps")
}
