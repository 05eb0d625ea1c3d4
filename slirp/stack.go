package slirp

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// Network is one container's running user-mode network.
type Network struct {
	cfg   Config
	stack *stack.Stack
	link  *tapLink
	// container, gateway and dns are the IPv4 addresses of Config.Addresses.
	container, gateway, dns netip.Addr
	// gateway6 and dns6 are valid with Config.IPv6.
	gateway6, dns6 netip.Addr
	dnsFwd         *dnsForwarder
	ping           *pinger
	track          tracker
	// ctx ends the host dials in progress when the network closes.
	ctx    context.Context
	cancel context.CancelFunc

	closeOnce sync.Once
	closeErr  error
}

const nicID tcpip.NICID = 1

// gatewayMAC is the stack's Ethernet address, slirp's 52:55:0a:00:02:02.
var gatewayMAC = tcpip.LinkAddress("\x52\x55\x0a\x00\x02\x02")

// Start runs the user-mode network of c over tapFD, a TAP device
// (IFF_TAP|IFF_NO_PI) in the container's network namespace. It takes
// ownership of the fd, also when it fails.
func Start(tapFD int, c Config) (*Network, error) {
	c, err := c.withDefaults()
	if err != nil {
		closeFD(tapFD)
		return nil, err
	}
	if c.DNS == nil {
		if c.DNS, err = defaultUpstreams(); err != nil {
			closeFD(tapFD)
			return nil, err
		}
	}
	link, err := newTapLink(tapFD, c.MTU, gatewayMAC)
	if err != nil {
		return nil, err
	}
	n := &Network{cfg: c, link: link}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.container, n.gateway, n.dns = c.Addresses()
	if c.IPv6 {
		_, n.gateway6, n.dns6 = c.Addresses6()
	}
	if err := n.start(); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Network) start() error {
	n.stack = newStack(n.cfg.IPv6)
	if err := tuneTCP(n.stack); err != nil {
		return err
	}
	if err := n.createNIC(); err != nil {
		return err
	}
	n.setHandlers()
	return n.startDNS()
}

func newStack(v6 bool) *stack.Stack {
	netProtos := []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol}
	transProtos := []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4}
	if v6 {
		netProtos = append(netProtos, ipv6.NewProtocol)
		transProtos = append(transProtos, icmp.NewProtocol6)
	}
	return stack.New(stack.Options{
		NetworkProtocols:   netProtos,
		TransportProtocols: transProtos,
		// HandleLocal off: nothing in this stack talks to itself, and a
		// container's packet to the stack's own address must not loop.
		HandleLocal: false,
	})
}

// createNIC attaches the TAP. Promiscuous mode delivers packets for every
// destination to the forwarders; spoofing lets their endpoints answer as
// that destination (and DialTCP bind a client's address).
func (n *Network) createNIC() error {
	s := n.stack
	if err := s.CreateNICWithOptions(nicID, n.link, stack.NICOptions{Name: "tap"}); err != nil {
		return fmt.Errorf("slirp: create NIC: %s", err)
	}
	if err := s.SetPromiscuousMode(nicID, true); err != nil {
		return fmt.Errorf("slirp: promiscuous mode: %s", err)
	}
	if err := s.SetSpoofing(nicID, true); err != nil {
		return fmt.Errorf("slirp: spoofing: %s", err)
	}
	if err := n.addAddresses(); err != nil {
		return err
	}
	routes := []tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: nicID}}
	if n.cfg.IPv6 {
		routes = append(routes, tcpip.Route{Destination: header.IPv6EmptySubnet, NIC: nicID})
	}
	s.SetRouteTable(routes)
	return nil
}

// addAddresses assigns the gateway and DNS addresses, so that ARP and NDP
// answer for them even before any connection exists.
func (n *Network) addAddresses() error {
	addrs := []netip.Addr{n.gateway, n.dns}
	if n.cfg.IPv6 {
		addrs = append(addrs, n.gateway6, n.dns6)
	}
	for _, a := range addrs {
		proto := ipv4.ProtocolNumber
		bits := n.cfg.CIDR.Bits()
		if a.Is6() {
			proto, bits = ipv6.ProtocolNumber, cidr6.Bits()
		}
		pa := tcpip.ProtocolAddress{
			Protocol:          proto,
			AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFromSlice(a.AsSlice()), PrefixLen: bits},
		}
		if err := n.stack.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
			return fmt.Errorf("slirp: add address %s: %s", a, err)
		}
	}
	return nil
}

func (n *Network) setHandlers() {
	n.stack.SetTransportProtocolHandler(tcp.ProtocolNumber, n.tcpForwarder().HandlePacket)
	n.stack.SetTransportProtocolHandler(udp.ProtocolNumber, n.udpForwarder().HandlePacket)
	n.setICMPHandlers()
}

// Close stops the network: every forwarded connection and host socket is
// closed, every goroutine has returned and the TAP fd is closed when it
// returns. It is idempotent.
func (n *Network) Close() error {
	n.closeOnce.Do(func() {
		n.cancel()
		n.track.close()
		// The reader stops first, so no frame reaches a stack being torn
		// down.
		n.closeErr = n.link.close()
		if n.stack != nil {
			n.stack.Destroy()
		}
		n.track.wait()
	})
	return n.closeErr
}
