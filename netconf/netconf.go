// Package netconf configures the container's end of the user-mode network
// from inside its network namespace. The init calls it before pivot_root,
// while the host's /dev is still there: it creates the TAP device whose
// descriptor the host side's stack serves, brings lo and the TAP up, and
// gives the TAP its MTU, its address and the default route.
//
// It imports only the standard library and x/sys/unix: it runs in the
// init, on every start.
package netconf

import (
	"fmt"
	"net/netip"
)

// Config is the container's side of the network.
type Config struct {
	// TAP is the name of the TAP device (tap0).
	TAP string
	// Address is the container's address with the network's prefix length.
	Address netip.Prefix
	// Gateway is the host side's address: the default route goes there.
	Gateway netip.Addr
	// MTU of the TAP device.
	MTU int
	// Address6 and Gateway6, when valid, are the IPv6 side.
	Address6 netip.Prefix
	Gateway6 netip.Addr
	// Mark, when not 0, routes connections marked with it (published
	// ports' fast path) back to their local socket (marked.go).
	Mark uint32
}

// Kernel is what Setup asks of the kernel: the seam the tests replace.
type Kernel interface {
	// OpenTun opens /dev/net/tun.
	OpenTun() (int, error)
	// CreateTAP turns the descriptor from OpenTun into the TAP device name.
	CreateTAP(fd int, name string) error
	// Index is the interface index of the link name.
	Index(name string) (int, error)
	// Request sends a batch of n rtnetlink requests and waits for their
	// acknowledgements; seq is the request that failed (1-based, 0 when
	// the batch as a whole did).
	Request(b []byte, n int) (seq int, err error)
	// Close closes fd.
	Close(fd int)
	// WriteFile writes a file of /proc/sys (of this network namespace).
	WriteFile(path, value string) error
}

// Apply configures the network in the calling process's network namespace
// and returns the TAP device's descriptor.
func Apply(c Config) (int, error) {
	k := &linux{nl: -1}
	defer k.close()
	return Setup(k, c)
}

// Setup is Apply on k.
func Setup(k Kernel, c Config) (int, error) {
	fd, err := k.OpenTun()
	if err != nil {
		return -1, openError(err)
	}
	if err := configure(k, fd, c); err != nil {
		k.Close(fd)
		return -1, err
	}
	return fd, nil
}

func configure(k Kernel, fd int, c Config) error {
	if err := k.CreateTAP(fd, c.TAP); err != nil {
		return tapError(c.TAP, err)
	}
	index, err := k.Index(c.TAP)
	if err != nil {
		return fmt.Errorf("network: find the index of %s: %w", c.TAP, err)
	}
	if c.Mark != 0 {
		for _, path := range markSysctls {
			if err := k.WriteFile(path, "1"); err != nil {
				return fmt.Errorf("network: set %s: %w", path, err)
			}
		}
	}
	m := requests(c, index)
	seq, err := k.Request(m.b, len(m.what))
	if err == nil {
		return nil
	}
	if seq < 1 || seq > len(m.what) {
		return fmt.Errorf("network: configure %s: %w", c.TAP, err)
	}
	return fmt.Errorf("network: %s: %w", m.what[seq-1], err)
}
