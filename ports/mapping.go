// Package ports publishes container ports on the host: parsing Docker's
// -p/--publish notation, binding every host socket before the container
// starts, and relaying accepted connections and datagrams into the
// container through a Dialer.
package ports

import (
	"net/netip"
	"strconv"
)

// Mapping is one published port.
type Mapping struct {
	// HostIP is the host address to bind; the zero Addr means every
	// address, IPv4 and IPv6 (as Docker binds 0.0.0.0 and [::]).
	HostIP netip.Addr
	// HostPort 0 asks for a random free port, chosen when it is bound.
	HostPort      uint16
	ContainerPort uint16
	Proto         string // "tcp" or "udp"
}

// Key is the container side as Docker names it: "80/tcp".
func (m Mapping) Key() string {
	return strconv.Itoa(int(m.ContainerPort)) + "/" + m.Proto
}

// HostAddr is the host side as Docker prints it: "0.0.0.0:8080",
// "[::]:8080"; the zero HostIP prints as 0.0.0.0.
func (m Mapping) HostAddr() string {
	ip := m.HostIP
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	return netip.AddrPortFrom(ip, m.HostPort).String()
}

// String is the mapping as `nook port` prints it: "80/tcp -> 0.0.0.0:8080".
func (m Mapping) String() string { return m.Key() + " -> " + m.HostAddr() }
