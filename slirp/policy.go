package slirp

import (
	"errors"
	"net/netip"
)

// errRefused is what a container sees as a refused connection (TCP RST,
// ICMP port unreachable for UDP is not sent: the flow is dropped).
var errRefused = errors.New("refused by the network's policy")

// hostTarget maps a destination the container asked for to the address the
// host dials: the gateway becomes the host's loopback when allowed, and
// nothing else in loopback, the container's own subnet or a
// multicast/broadcast range is ever forwarded.
func (n *Network) hostTarget(dst netip.AddrPort) (netip.AddrPort, error) {
	a := dst.Addr().Unmap()
	switch {
	case a == n.gateway || (a.IsValid() && a == n.gateway6):
		if !n.cfg.AllowHostLoopback {
			return netip.AddrPort{}, errRefused
		}
		lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if a.Is6() {
			lo = netip.IPv6Loopback()
		}
		return netip.AddrPortFrom(lo, dst.Port()), nil
	case a.IsLoopback(), a.IsUnspecified(), a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return netip.AddrPort{}, errRefused
	case a.Is6() && a.IsLinkLocalUnicast():
		// Meaningless on the host without the container's zone.
		return netip.AddrPort{}, errRefused
	case n.cfg.CIDR.Contains(a), a.Is6() && n.cfg.IPv6 && cidr6.Contains(a):
		// The DNS address is served in-process (dns.go); every other
		// address of the subnet is nobody.
		return netip.AddrPort{}, errRefused
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return netip.AddrPort{}, errRefused
	}
	return netip.AddrPortFrom(a, dst.Port()), nil
}

// isDNS reports whether dst is the forwarder's address on port 53.
func (n *Network) isDNS(dst netip.AddrPort) bool {
	a := dst.Addr().Unmap()
	return dst.Port() == 53 && (a == n.dns || (a.IsValid() && a == n.dns6))
}
