package ports

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// fakeDialer stands in for the container: each container port is a real
// server on 127.0.0.1, and every dial records the from it was given.
type fakeDialer struct {
	tcp, udp map[uint16]string
	// opaque hides the kernel socket type, so that the relay takes its
	// buffered path as it does with a user-mode stack's connections.
	opaque bool

	mu    sync.Mutex
	froms []netip.AddrPort
}

func (d *fakeDialer) record(from netip.AddrPort) {
	d.mu.Lock()
	d.froms = append(d.froms, from)
	d.mu.Unlock()
}

func (d *fakeDialer) seen() []netip.AddrPort {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]netip.AddrPort(nil), d.froms...)
}

func (d *fakeDialer) DialTCP(ctx context.Context, from netip.AddrPort, port uint16) (net.Conn, error) {
	d.record(from)
	addr, ok := d.tcp[port]
	if !ok {
		return nil, errors.New("connection refused")
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil || !d.opaque {
		return c, err
	}
	return opaqueConn{c.(*net.TCPConn)}, nil
}

func (d *fakeDialer) DialUDP(from netip.AddrPort, port uint16) (net.Conn, error) {
	d.record(from)
	addr, ok := d.udp[port]
	if !ok {
		return nil, errors.New("no route")
	}
	return net.Dial("udp", addr)
}

// opaqueConn is a TCP connection that is not a *net.TCPConn but still
// half-closes, as gVisor's gonet.TCPConn.
type opaqueConn struct{ *net.TCPConn }

func (c opaqueConn) CloseWrite() error { return c.TCPConn.CloseWrite() }

// tcpServer serves each connection with handle until the test ends.
func tcpServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func echo(c net.Conn) { _, _ = io.Copy(c, c) }

// udpEcho answers every datagram with "echo:" and the datagram.
func udpEcho(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, maxDatagram)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
		}
	}()
	return pc.LocalAddr().String()
}

// serve publishes spec on 127.0.0.1 with a random host port and returns
// the host address to connect to.
func serve(t *testing.T, d Dialer, spec string) (*Bound, string) {
	t.Helper()
	ms, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Listen(ms)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	b.Serve(d)
	return b, b.Ports()[0].HostAddr()
}
