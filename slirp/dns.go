package slirp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
)

// dnsForwarder answers the container's queries to the DNS address by
// relaying them to the host's resolvers from a host socket; it never
// parses more of a message than its id and flags.
type dnsForwarder struct {
	upstreams []netip.AddrPort
	// inflight bounds the queries relayed at once (a flood from the
	// container cannot open unbounded host sockets).
	inflight chan struct{}
}

const (
	dnsTryTimeout = 2 * time.Second
	dnsInflight   = 256
)

func (n *Network) startDNS() error {
	n.dnsFwd = &dnsForwarder{upstreams: n.cfg.DNS, inflight: make(chan struct{}, dnsInflight)}
	addrs := []netip.Addr{n.dns}
	if n.cfg.IPv6 {
		addrs = append(addrs, n.dns6)
	}
	for _, a := range addrs {
		laddr := toFull(netip.AddrPortFrom(a, 53))
		c, err := gonet.DialUDP(n.stack, &laddr, nil, protoOf(a))
		if err != nil {
			return fmt.Errorf("slirp: dns forwarder on %s: %w", a, err)
		}
		if !n.track.add(c) || !n.track.goFunc(func() { n.serveDNS(c) }) {
			c.Close()
		}
	}
	return nil
}

// serveDNS reads queries until the network closes.
func (n *Network) serveDNS(c *gonet.UDPConn) {
	buf := make([]byte, 65535)
	for {
		nr, from, err := c.ReadFrom(buf)
		if err != nil {
			if n.track.isClosed() {
				return
			}
			continue
		}
		if nr < dnsHeaderLen {
			continue
		}
		select {
		case n.dnsFwd.inflight <- struct{}{}:
		default:
			continue // too many at once: the client retries
		}
		query := append([]byte(nil), buf[:nr]...)
		if !n.track.goFunc(func() {
			defer func() { <-n.dnsFwd.inflight }()
			c.WriteTo(n.dnsFwd.exchange(n.ctx, query), from)
		}) {
			return
		}
	}
}

const dnsHeaderLen = 12

// exchange tries each upstream in turn and returns the first reply that
// answers query, or a SERVFAIL made from query.
func (f *dnsForwarder) exchange(ctx context.Context, query []byte) []byte {
	for _, up := range f.upstreams {
		if reply, err := exchangeOne(ctx, up, query); err == nil {
			return reply
		}
		if ctx.Err() != nil {
			break
		}
	}
	return servfail(query)
}

func exchangeOne(ctx context.Context, up netip.AddrPort, query []byte) ([]byte, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", up.String())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(dnsTryTimeout))
	// Close must not wait for an upstream that does not answer.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.Write(query); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	for {
		nr, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		// A reply to an older query of the same socket cannot happen (a
		// socket per query), but a spoofed one can: check the id.
		if nr >= dnsHeaderLen && buf[0] == query[0] && buf[1] == query[1] && buf[2]&0x80 != 0 {
			return buf[:nr], nil
		}
	}
}

// servfail answers query with SERVFAIL carrying only a header (QR set,
// RCODE 2, every count zero): without parsing the question, a bare header
// is the answer that cannot come out malformed.
func servfail(query []byte) []byte {
	r := append([]byte(nil), query[:dnsHeaderLen]...)
	r[2] = r[2]&0x01 | 0x80 // QR, keep RD
	r[3] = 0x80 | 2         // RA, SERVFAIL
	clear(r[4:])
	return r
}

// dialTCP opens a TCP connection to the first upstream that accepts one,
// for the container's DNS-over-TCP (truncated answers, zone transfers).
func (f *dnsForwarder) dialTCP(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: dnsTryTimeout}
	var errs []error
	for _, up := range f.upstreams {
		c, err := d.DialContext(ctx, "tcp", up.String())
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, errors.New("no upstream resolver")
	}
	return nil, errors.Join(errs...)
}
