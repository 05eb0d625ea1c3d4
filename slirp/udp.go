package slirp

import (
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// udpIdle is how long a UDP flow lives without a datagram either way, as
// slirp4netns and conntrack's default.
const udpIdle = 60 * time.Second

func (n *Network) udpForwarder() *udp.Forwarder {
	return udp.NewForwarder(n.stack, n.forwardUDP)
}

// forwardUDP runs in the stack's receive path for the first datagram of a
// flow (container address:port to destination address:port): it opens a
// connected host socket for the flow and relays both ways until it idles.
// Returning false makes the stack answer ICMP port unreachable, which is
// what a refused destination should look like.
func (n *Network) forwardUDP(r *udp.ForwarderRequest) bool {
	id := r.ID()
	dst := toNetip(id.LocalAddress, id.LocalPort)
	target, err := n.hostTarget(dst)
	if err != nil {
		return false
	}
	host, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(target))
	if err != nil {
		return false
	}
	var wq waiter.Queue
	ep, terr := r.CreateEndpoint(&wq)
	if terr != nil {
		host.Close()
		return true
	}
	guest := gonet.NewUDPConn(&wq, ep)
	if !n.track.goFunc(func() { n.relayUDP(guest, host) }) {
		guest.Close()
		host.Close()
	}
	return true
}

// relayUDP copies datagrams both ways until neither side has sent one for
// udpIdle, or the network closes.
func (n *Network) relayUDP(guest, host net.Conn) {
	if !n.track.add(guest) {
		host.Close()
		return
	}
	defer n.track.remove(guest)
	if !n.track.add(host) {
		guest.Close()
		return
	}
	defer n.track.remove(host)
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	done := make(chan struct{})
	go func() {
		copyDatagrams(host, guest, &last, n.cfg.udpIdle)
		close(done)
	}()
	copyDatagrams(guest, host, &last, n.cfg.udpIdle)
	// Either direction ending (idle or closed) ends the flow.
	guest.Close()
	host.Close()
	<-done
}

// copyDatagrams copies src to dst one datagram at a time until src fails
// or both directions have been idle for idle; then it closes dst, which
// ends the other direction. A lost datagram (a failed write) is UDP.
func copyDatagrams(dst, src net.Conn, last *atomic.Int64, idle time.Duration) {
	buf := make([]byte, 65536)
	for {
		src.SetReadDeadline(time.Unix(0, last.Load()).Add(idle))
		nr, err := src.Read(buf)
		switch {
		case err == nil:
		case errors.Is(err, syscall.ECONNREFUSED):
			// The host's ICMP error for an earlier datagram.
			continue
		case isTimeout(err) && time.Since(time.Unix(0, last.Load())) < idle:
			// The other direction was active meanwhile.
			continue
		default:
			dst.Close()
			return
		}
		last.Store(time.Now().UnixNano())
		dst.Write(buf[:nr])
	}
}

// isTimeout covers both the net package's deadline error and gonet's.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
