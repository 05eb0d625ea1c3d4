package ports

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// udpIdle is how long a UDP flow lives without traffic either way:
// Docker's userland proxy uses the same 90 s.
const udpIdle = 90 * time.Second

// Bound holds the host sockets of a container's published ports, from
// before the container starts until Close.
type Bound struct {
	mapped  []Mapping // what Ports reports
	tcp     []tcpPort
	udp     []*udpPort
	udpIdle time.Duration

	ctx    context.Context // ends with Close: pending dials give up
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine Serve started

	mu      sync.Mutex
	closed  bool
	serving bool
	open    map[io.Closer]struct{} // relayed connections and UDP flows
}

type tcpPort struct {
	ln   *net.TCPListener
	port uint16 // the container's
}

// Listen binds a host socket for every mapping, so that a port in use is
// an error before the container runs. On error nothing stays bound.
func Listen(maps []Mapping) (*Bound, error) {
	if err := checkDuplicates(maps); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bound{udpIdle: udpIdle, ctx: ctx, cancel: cancel, open: map[io.Closer]struct{}{}}
	for _, m := range maps {
		if err := b.bind(m); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

func (b *Bound) bind(m Mapping) error {
	if m.Proto == "udp" {
		pc, err := net.ListenUDP(network("udp", m.HostIP), udpAddr(m))
		if err != nil {
			return bindError(m, err)
		}
		b.udp = append(b.udp, newUDPPort(pc, m.ContainerPort))
		b.report(m, pc.LocalAddr())
		return nil
	}
	ln, err := net.ListenTCP(network("tcp", m.HostIP), tcpAddr(m))
	if err != nil {
		return bindError(m, err)
	}
	b.tcp = append(b.tcp, tcpPort{ln, m.ContainerPort})
	b.report(m, ln.Addr())
	return nil
}

// report records m with the port the kernel chose. Without a host address
// Go binds one dual-stack [::] socket where the host has IPv6, which
// Docker would show as two bindings, 0.0.0.0 and [::].
func (b *Bound) report(m Mapping, a net.Addr) {
	ap := addrPort(a)
	m.HostPort = ap.Port()
	if m.HostIP.IsValid() {
		b.mapped = append(b.mapped, m)
		return
	}
	m.HostIP = netip.IPv4Unspecified()
	b.mapped = append(b.mapped, m)
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		m.HostIP = netip.IPv6Unspecified()
		b.mapped = append(b.mapped, m)
	}
}

// Ports reports the mappings as bound, random host ports resolved.
func (b *Bound) Ports() []Mapping {
	if b == nil {
		return nil
	}
	return append([]Mapping(nil), b.mapped...)
}

// Close stops every listener, relayed connection and flow, and returns
// once every goroutine Serve started has ended. It is safe to call more
// than once, and on a nil Bound.
func (b *Bound) Close() {
	if b == nil {
		return
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.cancel()
	for _, t := range b.tcp {
		t.ln.Close()
	}
	for _, u := range b.udp {
		u.pc.Close()
	}
	for c := range b.open {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// track registers c to be closed by Close; false means Close has run and
// the caller must close c itself.
func (b *Bound) track(c io.Closer) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.open[c] = struct{}{}
	return true
}

func (b *Bound) untrack(c io.Closer) {
	b.mu.Lock()
	delete(b.open, c)
	b.mu.Unlock()
}

func network(proto string, ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return proto // dual-stack where the host has IPv6
	case ip.Is4():
		return proto + "4"
	}
	return proto + "6"
}

func tcpAddr(m Mapping) *net.TCPAddr {
	return &net.TCPAddr{IP: ipOf(m.HostIP), Port: int(m.HostPort), Zone: m.HostIP.Zone()}
}

func udpAddr(m Mapping) *net.UDPAddr {
	return &net.UDPAddr{IP: ipOf(m.HostIP), Port: int(m.HostPort), Zone: m.HostIP.Zone()}
}

func ipOf(a netip.Addr) net.IP {
	if !a.IsValid() {
		return nil
	}
	return a.AsSlice()
}

// addrPort is a socket address in netip form, IPv4-mapped addresses
// unmapped: a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
func addrPort(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// checkDuplicates catches a host port given twice, which would otherwise
// be reported as in use by another program.
func checkDuplicates(maps []Mapping) error {
	for i, a := range maps {
		for _, b := range maps[:i] {
			if a.HostPort != 0 && a.HostPort == b.HostPort && a.Proto == b.Proto && overlap(a.HostIP, b.HostIP) {
				return fmt.Errorf("host port %d/%s is published twice (for %s and %s): give each -p its own host port", a.HostPort, a.Proto, b.Key(), a.Key())
			}
		}
	}
	return nil
}

// overlap tells whether binding both addresses on one port would collide.
func overlap(a, b netip.Addr) bool {
	wild := func(x netip.Addr) bool { return !x.IsValid() || x.IsUnspecified() }
	if wild(a) && wild(b) {
		return !a.IsValid() || !b.IsValid() || a.Is4() == b.Is4()
	}
	if wild(a) || wild(b) {
		w, x := a, b
		if wild(b) {
			w, x = b, a
		}
		return !w.IsValid() || w.Is4() == x.Is4()
	}
	return a == b
}
