package slirp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// guest is the test's container: a second gVisor stack, configured as the
// init configures the TAP (address .100, default route via .2), joined to
// the Network under test by a SOCK_SEQPACKET socketpair that carries one
// Ethernet frame per message, as a TAP does.
type guest struct {
	s    *stack.Stack
	link *tapLink
	n    *Network
	addr netip.Addr
}

var guestMAC = tcpip.LinkAddress("\x02\x00\x00\x00\x00\x64")

func newGuest(t testing.TB, c Config) *guest {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		bigBuffers(fd)
	}
	n, err := Start(fds[0], c)
	if err != nil {
		unix.Close(fds[1])
		t.Fatal(err)
	}
	g := &guest{n: n}
	g.addr, _, _ = n.cfg.Addresses()
	if err := g.start(fds[1]); err != nil {
		n.Close()
		t.Fatal(err)
	}
	t.Cleanup(g.close)
	return g
}

// bigBuffers lets a socketpair queue a few MiB, as a TAP's queue would: a
// frame that does not fit is dropped.
func bigBuffers(fd int) {
	for _, opt := range []int{unix.SO_SNDBUFFORCE, unix.SO_SNDBUF} {
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, 8<<20) == nil {
			break
		}
	}
}

func (g *guest) start(fd int) error {
	link, err := newTapLink(fd, g.n.cfg.MTU, guestMAC)
	if err != nil {
		return err
	}
	g.link = link
	g.s = newStack(false)
	if err := tuneTCP(g.s); err != nil {
		return err
	}
	if err := g.s.CreateNIC(nicID, link); err != nil {
		return tcpErr(err)
	}
	_, gw, _ := g.n.cfg.Addresses()
	pa := tcpip.ProtocolAddress{
		Protocol:          protoOf(g.addr),
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFromSlice(g.addr.AsSlice()), PrefixLen: g.n.cfg.CIDR.Bits()},
	}
	if err := g.s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		return tcpErr(err)
	}
	subnet, _ := tcpip.NewSubnet(tcpip.AddrFromSlice(g.n.cfg.CIDR.Addr().AsSlice()), tcpip.MaskFromBytes(net.CIDRMask(g.n.cfg.CIDR.Bits(), 32)))
	g.s.SetRouteTable([]tcpip.Route{
		{Destination: subnet, NIC: nicID},
		{Destination: header.IPv4EmptySubnet, Gateway: tcpip.AddrFromSlice(gw.AsSlice()), NIC: nicID},
	})
	return nil
}

func (g *guest) close() {
	g.n.Close()
	if g.link != nil {
		g.link.close()
	}
	if g.s != nil {
		g.s.Destroy()
	}
}

func tcpErr(e tcpip.Error) error { return errors.New(e.String()) }

func (g *guest) dialTCP(t testing.TB, dst netip.AddrPort) (net.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return gonet.DialContextTCP(ctx, g.s, toFull(dst), protoOf(dst.Addr()))
}

func (g *guest) dialUDP(t testing.TB, dst netip.AddrPort) net.Conn {
	t.Helper()
	raddr := toFull(dst)
	c, err := gonet.DialUDP(g.s, nil, &raddr, protoOf(dst.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (g *guest) listenTCP(t testing.TB, port uint16) net.Listener {
	t.Helper()
	l, err := gonet.ListenTCP(g.s, toFull(netip.AddrPortFrom(g.addr, port)), protoOf(g.addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func gonetListenUDP(g *guest, laddr *tcpip.FullAddress) (*gonet.UDPConn, error) {
	return gonet.DialUDP(g.s, laddr, nil, protoOf(g.addr))
}
