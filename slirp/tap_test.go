package slirp

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// netns is a network namespace with a TAP configured as nook's init
// configures it, and a locked OS thread inside it: sockets created by
// functions passed to run live in the namespace. It needs real root
// (unshare(CLONE_NEWNET) by one thread of a multithreaded process).
type netns struct {
	work chan func()
	fd   int
}

func newNetns(t testing.TB, c Config) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("a TAP in a test network namespace needs root (CI runs go test as root)")
	}
	ns := &netns{work: make(chan func())}
	ready := make(chan error)
	go ns.thread(c, ready)
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(ns.work) })
	return ns
}

// thread never unlocks: the runtime ends a thread that exits locked, and
// with it the namespace.
func (ns *netns) thread(c Config, ready chan<- error) {
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		ready <- fmt.Errorf("unshare: %w", err)
		return
	}
	fd, err := openTap("tap0")
	if err == nil {
		err = configure("tap0", c)
	}
	ns.fd = fd
	ready <- err
	for f := range ns.work {
		f()
	}
}

func (ns *netns) run(f func()) {
	done := make(chan struct{})
	ns.work <- func() { f(); close(done) }
	<-done
}

func openTap(name string) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var req [unix.IFNAMSIZ + 64]byte
	copy(req[:], name)
	*(*uint16)(unsafe.Pointer(&req[unix.IFNAMSIZ])) = unix.IFF_TAP | unix.IFF_NO_PI
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); errno != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("TUNSETIFF: %w", errno)
	}
	return fd, nil
}

// configure does with ip(8), run from the namespace's thread, what the
// init does with netlink.
func configure(dev string, c Config) error {
	c, _ = c.withDefaults()
	ct, gw, _ := c.Addresses()
	cmds := []string{
		"link set lo up",
		fmt.Sprintf("link set %s mtu %d", dev, c.MTU),
		fmt.Sprintf("addr add %s/%d dev %s", ct, c.CIDR.Bits(), dev),
		fmt.Sprintf("link set %s up", dev),
		fmt.Sprintf("route add default via %s dev %s", gw, dev),
	}
	if c.IPv6 {
		ct6, gw6, _ := c.Addresses6()
		cmds = append(cmds,
			fmt.Sprintf("-6 addr add %s/64 dev %s nodad", ct6, dev),
			fmt.Sprintf("-6 route add default via %s dev %s", gw6, dev))
	}
	for _, cmd := range cmds {
		if out, err := exec.Command("ip", strings.Fields(cmd)...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", cmd, err, out)
		}
	}
	return nil
}

// startOnTap runs a Network for c on a fresh namespace's TAP.
func startOnTap(t testing.TB, c Config) (*netns, *Network) {
	ns := newNetns(t, c)
	n, err := Start(ns.fd, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return ns, n
}

// dial dials from inside the namespace; the socket then works from any
// goroutine.
func (ns *netns) dial(t testing.TB, network string, dst netip.AddrPort) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	ns.run(func() { c, err = dialKernel(network, dst) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// listen listens inside the namespace on the container's address.
func (ns *netns) listen(t testing.TB, port uint16) net.Listener {
	t.Helper()
	var l net.Listener
	var err error
	ns.run(func() { l, err = net.Listen("tcp", fmt.Sprintf(":%d", port)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestTapTCPAndUDP(t *testing.T) {
	l, addr := listenHost(t, "127.0.0.1:0")
	echoServer(t, l)
	uaddr := udpEcho(t, "127.0.0.1:0")
	ns, n := startOnTap(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	c := ns.dial(t, "tcp", netip.AddrPortFrom(n.gateway, addr.Port()))
	roundTrip(t, c, "from a real kernel")
	u := ns.dial(t, "udp", netip.AddrPortFrom(n.gateway, uaddr.Port()))
	udpRoundTrip(t, u, "datagram from a real kernel")
}

func TestTapDNS(t *testing.T) {
	up := fakeDNS(t, [4]byte{192, 0, 2, 7})
	ns, n := startOnTap(t, Config{DNS: []netip.AddrPort{up}})
	u := ns.dial(t, "udp", netip.AddrPortFrom(n.dns, 53))
	q := query(42, "kernel.test")
	u.Write(q)
	u.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	nr, err := u.Read(buf)
	if err != nil || string(buf[:nr]) != string(answerA(q, [4]byte{192, 0, 2, 7})) {
		t.Fatalf("reply % x, %v", buf[:nr], err)
	}
}

func TestTapGatewayRefused(t *testing.T) {
	l, addr := listenHost(t, "127.0.0.1:0")
	echoServer(t, l)
	ns, n := startOnTap(t, Config{DNS: []netip.AddrPort{}})
	var err error
	ns.run(func() {
		var c net.Conn
		if c, err = dialKernel("tcp", netip.AddrPortFrom(n.gateway, addr.Port())); err == nil {
			c.Close()
		}
	})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("want connection refused, got %v", err)
	}
}

// TestTapTransfer sends 256 MiB from the kernel to a host echo server and
// checks what comes back.
func TestTapTransfer(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 16 << 20
	}
	l, addr := listenHost(t, "127.0.0.1:0")
	echoServer(t, l)
	ns, n := startOnTap(t, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	c := ns.dial(t, "tcp", netip.AddrPortFrom(n.gateway, addr.Port()))
	checkEcho(t, c, size)
}

func TestTapDialTCP(t *testing.T) {
	ns, n := startOnTap(t, Config{DNS: []netip.AddrPort{}})
	l := ns.listen(t, 8080)
	from := netip.MustParseAddrPort("203.0.113.7:40000")
	accepted := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- err.Error()
			return
		}
		accepted <- c.RemoteAddr().String()
		io.Copy(c, c)
		c.Close()
	}()
	c, err := n.DialTCP(context.Background(), from, 8080)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := <-accepted; got != from.String() {
		t.Fatalf("the container saw %s, want %s", got, from)
	}
	checkEcho(t, c, 32<<20)
}

// TestTapPing pings this host's non-loopback address from the kernel in
// the namespace (a raw socket there: the test is root). The host must
// allow ping sockets to the test's group: the test widens
// net.ipv4.ping_group_range of the host's namespace for its duration.
func TestTapPing(t *testing.T) {
	ip := hostAddress(t)
	allowPing(t)
	ns, n := startOnTap(t, Config{DNS: []netip.AddrPort{}})
	var pc net.PacketConn
	var err error
	ns.run(func() { pc, err = net.ListenPacket("ip4:icmp", "0.0.0.0") })
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, dst := range []netip.Addr{ip, n.gateway} {
		if err := ping(pc, dst, 0x4242); err != nil {
			t.Errorf("ping %s: %v", dst, err)
		}
	}
}

// ping sends echo requests to dst until one is answered.
func ping(pc net.PacketConn, dst netip.Addr, ident uint16) error {
	buf := make([]byte, 1500)
	for seq := uint16(1); seq <= 3; seq++ {
		req := header.ICMPv4(make([]byte, header.ICMPv4MinimumSize+8))
		req.SetType(header.ICMPv4Echo)
		req.SetIdent(ident)
		req.SetSequence(seq)
		copy(req.Payload(), "nookping")
		req.SetChecksum(^checksum.Checksum(req, 0))
		if _, err := pc.WriteTo(req, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
			return err
		}
		pc.SetReadDeadline(time.Now().Add(time.Second))
		for {
			nr, from, err := pc.ReadFrom(buf)
			if err != nil {
				break
			}
			r := header.ICMPv4(buf[:nr])
			if from.String() == dst.String() && nr >= header.ICMPv4MinimumSize && r.Type() == header.ICMPv4EchoReply &&
				r.Ident() == ident && r.Sequence() == seq && string(r.Payload()) == "nookping" {
				return nil
			}
		}
	}
	return fmt.Errorf("no echo reply")
}

// TestTapPingRefusedByHost: with ping sockets refused, echo requests to
// outside go unanswered (no made-up replies) and the gateway still answers.
func TestTapPingRefusedByHost(t *testing.T) {
	ip := hostAddress(t)
	setPingGroups(t, "1 0")
	ns, n := startOnTap(t, Config{DNS: []netip.AddrPort{}})
	var pc net.PacketConn
	var err error
	ns.run(func() { pc, err = net.ListenPacket("ip4:icmp", "0.0.0.0") })
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := ping(pc, ip, 0x4343); err == nil {
		t.Errorf("ping %s answered with ping sockets refused", ip)
	}
	if err := ping(pc, n.gateway, 0x4343); err != nil {
		t.Errorf("ping %s: %v", n.gateway, err)
	}
}

func allowPing(t *testing.T) { setPingGroups(t, "0 2147483647") }

func setPingGroups(t *testing.T, groups string) {
	const sysctl = "/proc/sys/net/ipv4/ping_group_range"
	old, err := os.ReadFile(sysctl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sysctl, []byte(groups), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(sysctl, old, 0o644) })
}

func TestTapIPv6(t *testing.T) {
	l, addr := listenHost(t, "[::1]:0")
	echoServer(t, l)
	uaddr := udpEcho(t, "[::1]:0")
	up := fakeDNS(t, [4]byte{192, 0, 2, 66})
	c := Config{AllowHostLoopback: true, IPv6: true, DNS: []netip.AddrPort{up}}
	ns, n := startOnTap(t, c)
	_, gw6, dns6 := c.Addresses6()
	conn := ns.dial(t, "tcp", netip.AddrPortFrom(gw6, addr.Port()))
	roundTrip(t, conn, "over IPv6")
	u := ns.dial(t, "udp", netip.AddrPortFrom(gw6, uaddr.Port()))
	udpRoundTrip(t, u, "datagram over IPv6")
	d := ns.dial(t, "udp", netip.AddrPortFrom(dns6, 53))
	q := query(66, "six.test")
	d.Write(q)
	d.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	nr, err := d.Read(buf)
	if err != nil || string(buf[:nr]) != string(answerA(q, [4]byte{192, 0, 2, 66})) {
		t.Fatalf("reply % x, %v", buf[:nr], err)
	}
	// IPv4 still works beside it.
	l4, addr4 := listenHost(t, "127.0.0.1:0")
	echoServer(t, l4)
	roundTrip(t, ns.dial(t, "tcp", netip.AddrPortFrom(n.gateway, addr4.Port())), "and IPv4")
}
