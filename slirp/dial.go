package slirp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"gvisor.dev/gvisor/pkg/tcpip"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
)

// DialTCP opens a TCP connection to the container's port from the stack,
// with from (the published port's real client) as its source address, so
// the server in the container sees who connected. A source the container
// could not answer (loopback, unspecified, inside its own subnet, or IPv6
// without IPv6) becomes the gateway address.
func (n *Network) DialTCP(ctx context.Context, from netip.AddrPort, port uint16) (net.Conn, error) {
	src, dst := n.PublishedEndpoints(from, port)
	c, err := gonet.DialTCPWithBind(ctx, n.stack, toFull(src), toFull(dst), protoOf(dst.Addr()))
	if err != nil && src.Port() != 0 && strings.Contains(err.Error(), (&tcpip.ErrPortInUse{}).String()) {
		// The client's port is still held by an earlier connection of
		// the same client (TIME_WAIT): keep its address, not its port.
		src = netip.AddrPortFrom(src.Addr(), 0)
		c, err = gonet.DialTCPWithBind(ctx, n.stack, toFull(src), toFull(dst), protoOf(dst.Addr()))
	}
	if err != nil {
		return nil, fmt.Errorf("slirp: connect to the container's tcp port %d from %s: %w", port, src, err)
	}
	return c, nil
}

// DialUDP opens a UDP flow to the container's port with from as its
// source, as DialTCP does.
func (n *Network) DialUDP(from netip.AddrPort, port uint16) (net.Conn, error) {
	src, dst := n.PublishedEndpoints(from, port)
	laddr, raddr := toFull(src), toFull(dst)
	c, err := gonet.DialUDP(n.stack, &laddr, &raddr, protoOf(dst.Addr()))
	if err != nil {
		return nil, fmt.Errorf("slirp: connect to the container's udp port %d from %s: %w", port, src, err)
	}
	return c, nil
}

// PublishedEndpoints picks the source and destination of a published
// connection into the container for the client at from. A replaced source
// gets port 0 (any free one): two clients on different loopback addresses
// may share a port.
func (n *Network) PublishedEndpoints(from netip.AddrPort, port uint16) (src, dst netip.AddrPort) {
	a := from.Addr().Unmap()
	dst = netip.AddrPortFrom(n.container, port)
	if a.Is6() && n.cfg.IPv6 {
		c6, _, _ := n.cfg.Addresses6()
		dst = netip.AddrPortFrom(c6, port)
	}
	if !n.answerable(a) {
		gw := n.gateway
		if dst.Addr().Is6() {
			gw = n.gateway6
		}
		return netip.AddrPortFrom(gw, 0), dst
	}
	return netip.AddrPortFrom(a, from.Port()), dst
}

// answerable reports whether the container can route a reply to a: its
// kernel drops martians (loopback sources on eth0) and would deliver its
// own subnet's addresses on the link instead of through the gateway.
func (n *Network) answerable(a netip.Addr) bool {
	switch {
	case !a.IsValid(), a.IsLoopback(), a.IsUnspecified(), a.IsMulticast(), a.IsLinkLocalUnicast():
		return false
	case a.Is4():
		return !n.cfg.CIDR.Contains(a)
	default:
		return n.cfg.IPv6 && !cidr6.Contains(a)
	}
}
