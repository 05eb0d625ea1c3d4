package slirp

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// fakeDNS answers every query on 127.0.0.1 (UDP and TCP, one port) with
// canned: the query's id and question followed by one A record.
func fakeDNS(t testing.TB, ip [4]byte) netip.AddrPort {
	t.Helper()
	pc, l := listenBoth(t)
	t.Cleanup(func() { pc.Close(); l.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(answerA(buf[:n], ip), from)
		}
	}()
	go serveDNSTCP(l, ip)
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// listenBoth opens a UDP socket and a TCP listener on one port of
// 127.0.0.1, retrying when the TCP side of a free UDP port is taken.
func listenBoth(t testing.TB) (net.PacketConn, net.Listener) {
	for try := 0; ; try++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		pc.Close()
		if try == 10 {
			t.Fatal(err)
		}
	}
}

func serveDNSTCP(l net.Listener, ip [4]byte) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		var n uint16
		binary.Read(c, binary.BigEndian, &n)
		q := make([]byte, n)
		io.ReadFull(c, q)
		a := answerA(q, ip)
		binary.Write(c, binary.BigEndian, uint16(len(a)))
		c.Write(a)
		c.Close()
	}
}

// query builds a query for name's A record.
func query(id uint16, name string) []byte {
	q := []byte{byte(id >> 8), byte(id), 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, label := range bytes.Split([]byte(name), []byte(".")) {
		q = append(q, byte(len(label)))
		q = append(q, label...)
	}
	return append(q, 0, 0, 1, 0, 1)
}

func answerA(q []byte, ip [4]byte) []byte {
	a := append([]byte(nil), q...)
	a[2] |= 0x80
	a[7] = 1 // ANCOUNT
	a = append(a, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
	return append(a, ip[:]...)
}

func TestDNSRelayedToUpstream(t *testing.T) {
	up := fakeDNS(t, [4]byte{192, 0, 2, 99})
	g := newGuest(t, Config{DNS: []netip.AddrPort{up}})
	c := g.dialUDP(t, netip.AddrPortFrom(g.n.dns, 53))
	q := query(0x1234, "example.test")
	var reply []byte
	buf := make([]byte, 512)
	for try := 0; try < 5 && reply == nil; try++ {
		c.Write(q)
		c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(buf); err == nil {
			reply = buf[:n]
		}
	}
	if !bytes.Equal(reply, answerA(q, [4]byte{192, 0, 2, 99})) {
		t.Fatalf("reply % x", reply)
	}
}

func TestDNSOverTCP(t *testing.T) {
	up := fakeDNS(t, [4]byte{192, 0, 2, 98})
	g := newGuest(t, Config{DNS: []netip.AddrPort{up}})
	c, err := g.dialTCP(t, netip.AddrPortFrom(g.n.dns, 53))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := query(7, "tcp.test")
	binary.Write(c, binary.BigEndian, uint16(len(q)))
	c.Write(q)
	var n uint16
	if err := binary.Read(c, binary.BigEndian, &n); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, n)
	if _, err := io.ReadFull(c, reply); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reply, answerA(q, [4]byte{192, 0, 2, 98})) {
		t.Fatalf("reply % x", reply)
	}
}

func TestDNSServfailWithoutUpstream(t *testing.T) {
	// No upstream at all: the container still gets an answer, at once.
	g := newGuest(t, Config{DNS: []netip.AddrPort{}})
	c := g.dialUDP(t, netip.AddrPortFrom(g.n.dns, 53))
	q := query(0xbeef, "nowhere.test")
	buf := make([]byte, 512)
	for try := 0; try < 5; try++ {
		c.Write(q)
		c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err := c.Read(buf); err == nil {
			if n != dnsHeaderLen || buf[0] != 0xbe || buf[1] != 0xef || buf[3]&0x0f != 2 {
				t.Fatalf("want SERVFAIL, got % x", buf[:n])
			}
			return
		}
	}
	t.Fatal("no answer")
}

func TestDNSUpstreamFromEnvironment(t *testing.T) {
	t.Setenv(upstreamEnv, "127.0.0.1:5353")
	ups, err := defaultUpstreams()
	if err != nil || len(ups) != 1 || ups[0] != netip.MustParseAddrPort("127.0.0.1:5353") {
		t.Fatalf("got %v, %v", ups, err)
	}
	t.Setenv(upstreamEnv, "not-an-address")
	if _, err := defaultUpstreams(); err == nil {
		t.Fatal("a bad $NOOK_DNS_UPSTREAM was accepted")
	}
}

func TestParseResolvConf(t *testing.T) {
	got := parseResolvConf([]byte("# comment\nnameserver 127.0.0.53\nsearch x\nnameserver fe80::1%eth0\nnameserver 2001:db8::1\nnameserver 0.0.0.0\n"))
	want := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.53:53"),
		netip.MustParseAddrPort("[2001:db8::1]:53"),
		netip.MustParseAddrPort("127.0.0.1:53"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
