package ports

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// maxFlows bounds the UDP clients relayed at once on one port, so that a
// flood of source addresses cannot exhaust nook's fds; datagrams from new
// clients beyond it are dropped until a flow goes idle.
const maxFlows = 1024

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

type udpPort struct {
	pc   *net.UDPConn
	port uint16 // the container's

	mu    sync.Mutex
	flows map[netip.AddrPort]*flow
}

// flow is one client's conversation with the container's port: its own
// socket into the container, so that replies can be told apart by client.
type flow struct {
	up     net.Conn
	client netip.AddrPort // as the bound socket reported it, to reply to
	last   atomic.Int64   // unix nanoseconds of the last datagram either way
}

func newUDPPort(pc *net.UDPConn, port uint16) *udpPort {
	return &udpPort{pc: pc, port: port, flows: map[netip.AddrPort]*flow{}}
}

func (f *flow) touch() { f.last.Store(time.Now().UnixNano()) }

func (f *flow) idleFor() time.Duration { return time.Duration(time.Now().UnixNano() - f.last.Load()) }

// udpLoop reads the clients' datagrams and sends each into its flow.
func (b *Bound) udpLoop(d Dialer, u *udpPort) {
	defer b.wg.Done()
	buf := make([]byte, maxDatagram)
	for {
		n, client, err := u.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if b.stopped(err) || !b.backoff() {
				return
			}
			continue
		}
		f := b.flowFor(d, u, client)
		if f == nil {
			continue // dropped: the container side cannot be reached
		}
		f.touch()
		_, _ = f.up.Write(buf[:n])
	}
}

// flowFor finds or starts the flow of client.
func (b *Bound) flowFor(d Dialer, u *udpPort, client netip.AddrPort) *flow {
	u.mu.Lock()
	defer u.mu.Unlock()
	if f := u.flows[client]; f != nil {
		return f
	}
	if len(u.flows) >= maxFlows {
		return nil
	}
	from := netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	up, err := d.DialUDP(from, u.port)
	if err != nil {
		return nil
	}
	if !b.track(up) {
		up.Close()
		return nil
	}
	f := &flow{up: up, client: client}
	f.touch()
	u.flows[client] = f
	b.wg.Add(1)
	go b.replies(u, f)
	return f
}

// replies sends the container's answers back to the client from the bound
// socket, and ends the flow once it has been idle for b.udpIdle.
func (b *Bound) replies(u *udpPort, f *flow) {
	defer b.wg.Done()
	defer b.endFlow(u, f)
	buf := make([]byte, maxDatagram)
	for {
		_ = f.up.SetReadDeadline(time.Now().Add(b.udpIdle - f.idleFor()))
		n, err := f.up.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) && f.idleFor() < b.udpIdle {
			continue // the client spoke meanwhile
		}
		if err != nil {
			return
		}
		f.touch()
		_, _ = u.pc.WriteToUDPAddrPort(buf[:n], f.client)
	}
}

func (b *Bound) endFlow(u *udpPort, f *flow) {
	u.mu.Lock()
	if u.flows[f.client] == f {
		delete(u.flows, f.client)
	}
	u.mu.Unlock()
	b.untrack(f.up)
	f.up.Close()
}
