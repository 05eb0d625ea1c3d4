package slirp

import (
	"net"
	"net/netip"
	"time"
)

// dialKernel dials with the calling thread's network namespace.
func dialKernel(network string, dst netip.AddrPort) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	return d.Dial(network, dst.String())
}
