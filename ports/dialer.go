package ports

import (
	"context"
	"net"
	"net/netip"
)

// Dialer opens connections to the container's ports: the seam between the
// host listeners, which this package owns, and the way into the container's
// network namespace.
//
// slirp.Network is one: its user-mode stack originates each connection
// with the client's real address as the source, which the server in the
// container sees, at the stack's throughput (a few Gbps). A second kind,
// a helper inside the namespace that dials 127.0.0.1:port with the kernel's
// stack and passes the socket out over SCM_RIGHTS (RootlessKit's "builtin"
// port driver, ~30 Gbps), fits the same interface: it ignores from and
// returns a *net.TCPConn, and the relay then copies between two kernel
// sockets with splice(2) (see copyConn).
type Dialer interface {
	// DialTCP connects to the container's TCP port on behalf of the
	// client at from.
	DialTCP(ctx context.Context, from netip.AddrPort, port uint16) (net.Conn, error)
	// DialUDP returns a connected datagram socket to the container's UDP
	// port whose datagrams come from from; each Write is one datagram.
	DialUDP(from netip.AddrPort, port uint16) (net.Conn, error)
}
