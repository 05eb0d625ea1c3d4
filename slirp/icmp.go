package slirp

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
)

// pingIdle is how long an echo flow's host socket waits for more replies.
const pingIdle = 10 * time.Second

// pinger forwards the container's ICMP echo requests to outside addresses
// through unprivileged ping sockets (SOCK_DGRAM, IPPROTO_ICMP), which the
// host allows to the groups in net.ipv4.ping_group_range. One socket per
// (destination, identifier) flow: the kernel rewrites the identifier to
// the socket's, and the reply gets the container's back.
type pinger struct {
	mu       sync.Mutex
	flows    map[pingKey]*pingFlow
	disabled bool // the host refused a ping socket once: stop trying
}

type pingKey struct {
	dst   netip.Addr
	ident uint16
}

type pingFlow struct {
	conn *net.UDPConn
	// mac is the container's Ethernet address, where replies go.
	mac tcpip.LinkAddress
	src netip.Addr
}

func (n *Network) setICMPHandlers() {
	n.ping = &pinger{flows: make(map[pingKey]*pingFlow)}
	n.stack.SetTransportProtocolHandler(icmp.ProtocolNumber4, n.handleICMP4)
}

// handleICMP4 sees the ICMP packets no endpoint wanted. Echo requests to
// the gateway and DNS addresses are left to the stack, which answers them;
// those to elsewhere are forwarded, or dropped when the policy or the
// host says no (returning true keeps the stack from answering for them).
func (n *Network) handleICMP4(_ stack.TransportEndpointID, pkt *stack.PacketBuffer) bool {
	h := header.ICMPv4(pkt.TransportHeader().Slice())
	if len(h) < header.ICMPv4MinimumSize || h.Type() != header.ICMPv4Echo {
		return false
	}
	ip := header.IPv4(pkt.NetworkHeader().Slice())
	dst := toNetip(ip.DestinationAddress(), 0).Addr()
	if dst == n.gateway || dst == n.dns {
		return false
	}
	if _, err := n.hostTarget(netip.AddrPortFrom(dst, 0)); err != nil {
		return true
	}
	src := toNetip(ip.SourceAddress(), 0).Addr()
	mac := header.Ethernet(pkt.LinkHeader().Slice()).SourceAddress()
	data := pkt.Data().AsRange().ToSlice()
	n.forwardEcho(pingKey{dst, h.Ident()}, src, mac, h.Sequence(), data)
	return true
}

func (n *Network) forwardEcho(k pingKey, src netip.Addr, mac tcpip.LinkAddress, seq uint16, data []byte) {
	f := n.pingFlow(k, src, mac)
	if f == nil {
		return
	}
	msg := make([]byte, header.ICMPv4MinimumSize+len(data))
	req := header.ICMPv4(msg)
	req.SetType(header.ICMPv4Echo)
	req.SetSequence(seq)
	copy(req.Payload(), data)
	// The kernel sets the identifier and the checksum.
	f.conn.WriteToUDPAddrPort(msg, netip.AddrPortFrom(k.dst, 0))
}

// pingFlow returns the flow's socket, opening it (and its reader) first.
func (n *Network) pingFlow(k pingKey, src netip.Addr, mac tcpip.LinkAddress) *pingFlow {
	p := n.ping
	p.mu.Lock()
	defer p.mu.Unlock()
	if f := p.flows[k]; f != nil || p.disabled {
		return f
	}
	conn, err := pingSocket()
	if err != nil {
		// EACCES: the user's group is outside ping_group_range.
		p.disabled = true
		return nil
	}
	f := &pingFlow{conn: conn, mac: mac, src: src}
	if !n.track.add(conn) {
		return nil
	}
	p.flows[k] = f
	if !n.track.goFunc(func() { n.readReplies(k, f) }) {
		delete(p.flows, k)
		n.track.remove(conn)
		conn.Close()
		return nil
	}
	return f
}

func pingSocket() (*net.UDPConn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "ping")
	defer f.Close()
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil
}

// readReplies injects the echo replies of one flow until it idles.
func (n *Network) readReplies(k pingKey, f *pingFlow) {
	defer func() {
		n.ping.mu.Lock()
		delete(n.ping.flows, k)
		n.ping.mu.Unlock()
		n.track.remove(f.conn)
		f.conn.Close()
	}()
	buf := make([]byte, 65536)
	for {
		f.conn.SetReadDeadline(time.Now().Add(pingIdle))
		nr, _, err := f.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if nr < header.ICMPv4MinimumSize || header.ICMPv4(buf).Type() != header.ICMPv4EchoReply {
			continue
		}
		n.injectEchoReply(k, f, buf[:nr])
	}
}

// injectEchoReply writes reply to the container as an IPv4 packet from
// the pinged address, with the container's identifier restored.
func (n *Network) injectEchoReply(k pingKey, f *pingFlow, reply []byte) {
	pkt := make([]byte, header.IPv4MinimumSize+len(reply))
	ip := header.IPv4(pkt)
	ip.Encode(&header.IPv4Fields{
		TotalLength: uint16(len(pkt)),
		TTL:         64,
		Protocol:    uint8(header.ICMPv4ProtocolNumber),
		SrcAddr:     tcpip.AddrFromSlice(k.dst.AsSlice()),
		DstAddr:     tcpip.AddrFromSlice(f.src.AsSlice()),
	})
	ip.SetChecksum(^ip.CalculateChecksum())
	icmpHdr := header.ICMPv4(pkt[header.IPv4MinimumSize:])
	copy(icmpHdr, reply)
	icmpHdr.SetIdent(k.ident)
	icmpHdr.SetChecksum(0)
	icmpHdr.SetChecksum(^checksum.Checksum(icmpHdr, 0))
	n.stack.WritePacketToRemote(nicID, f.mac, ipv4.ProtocolNumber, buffer.MakeWithData(pkt))
}
