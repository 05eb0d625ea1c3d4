package slirp

import (
	"net"
	"net/netip"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

const (
	// tcpRcvWnd is the window the forwarder offers in its SYN-ACK; 0 lets
	// the stack use its receive buffer size.
	tcpRcvWnd = 0
	// tcpMaxInFlight bounds the half-open connections (host dials in
	// progress) a container can hold at once.
	tcpMaxInFlight = 1024
	// dialTimeout is how long a host dial may take before the container's
	// SYN is answered with a RST.
	dialTimeout = 30 * time.Second
)

func (n *Network) tcpForwarder() *tcp.Forwarder {
	return tcp.NewForwarder(n.stack, tcpRcvWnd, tcpMaxInFlight, n.forwardTCP)
}

// forwardTCP runs in a goroutine of the stack's for every SYN no endpoint
// owns: it dials the destination from the host and completes the
// container's handshake only when the host's succeeded, so a refused or
// unreachable destination looks the same to the container (a RST).
func (n *Network) forwardTCP(r *tcp.ForwarderRequest) {
	if !n.track.enter() {
		r.Complete(true)
		return
	}
	defer n.track.done()
	id := r.ID()
	dst := toNetip(id.LocalAddress, id.LocalPort)
	host, err := n.dialHostTCP(dst)
	if err != nil {
		r.Complete(true)
		return
	}
	var wq waiter.Queue
	ep, terr := r.CreateEndpoint(&wq)
	if terr != nil {
		host.Close()
		r.Complete(true)
		return
	}
	r.Complete(false)
	ep.SocketOptions().SetKeepAlive(true)
	n.relay(gonet.NewTCPConn(&wq, ep), host)
}

// dialHostTCP opens the host side of a forwarded connection: the DNS
// forwarder's TCP port relays to the first upstream, everything else goes
// where the policy sends it.
func (n *Network) dialHostTCP(dst netip.AddrPort) (net.Conn, error) {
	if n.isDNS(dst) {
		return n.dnsFwd.dialTCP(n.ctx)
	}
	target, err := n.hostTarget(dst)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: dialTimeout}
	return d.DialContext(n.ctx, "tcp", target.String())
}
