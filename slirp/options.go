package slirp

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config describes one container's user-mode network. The zero value is
// slirp4netns' layout with an MTU of 65520.
type Config struct {
	// CIDR is the container's subnet: the gateway is its .2, the DNS
	// forwarder .3 and the container .100. Default 10.0.2.0/24.
	CIDR netip.Prefix
	// MTU of the link; large frames are what make a user-mode stack fast.
	// Default 65520, the largest that fits a TAP frame in 64 KiB.
	MTU int
	// AllowHostLoopback makes the gateway address reach the host's
	// 127.0.0.1; without it connections to the gateway are refused.
	AllowHostLoopback bool
	// DNS lists the upstream resolvers the forwarder relays to. Default:
	// $NOOK_DNS_UPSTREAM (ip:port), else the host's /etc/resolv.conf.
	DNS []netip.AddrPort
	// IPv6 adds fd00::/64 beside IPv4 (gateway fd00::2, DNS fd00::3,
	// container fd00::100).
	IPv6 bool

	// udpIdle overrides the UDP flows' idle timeout (tests).
	udpIdle time.Duration
}

const (
	defaultMTU = 65520
	// maxMTU keeps an Ethernet frame within one 64 KiB buffer.
	maxMTU = 65520
	// minMTU is IPv4's minimum; IPv6 needs 1280.
	minMTU = 576
)

var defaultCIDR = netip.MustParsePrefix("10.0.2.0/24")

// optionKeys are the keys ParseOptions accepts, with what each wants.
var optionKeys = map[string]string{
	"cidr":                "an IPv4 prefix of /8../25, e.g. 10.0.3.0/24",
	"mtu":                 fmt.Sprintf("%d..%d", minMTU, maxMTU),
	"allow_host_loopback": "true or false",
	"enable_ipv6":         "true or false",
	"dns":                 "ip[:port] of an upstream resolver, several separated by '+'",
}

// ParseOptions parses the part after "slirp:" of --network, a
// comma-separated list of key=value pairs, and fills in the defaults.
func ParseOptions(s string) (Config, error) {
	var c Config
	if s != "" {
		for _, kv := range strings.Split(s, ",") {
			if err := c.set(kv); err != nil {
				return Config{}, fmt.Errorf("--network slirp:%s: %w", s, err)
			}
		}
	}
	return c.withDefaults()
}

func (c *Config) set(kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	if !ok || key == "" {
		return fmt.Errorf("%q is not key=value; valid keys: %s", kv, validKeys())
	}
	want, known := optionKeys[key]
	if !known {
		return fmt.Errorf("unknown key %q; valid keys: %s", key, validKeys())
	}
	if err := c.setKey(key, value); err != nil {
		return fmt.Errorf("%s=%s: want %s", key, value, want)
	}
	return nil
}

func (c *Config) setKey(key, value string) error {
	var err error
	switch key {
	case "cidr":
		c.CIDR, err = parseCIDR(value)
	case "mtu":
		c.MTU, err = parseMTU(value)
	case "allow_host_loopback":
		c.AllowHostLoopback, err = strconv.ParseBool(value)
	case "enable_ipv6":
		c.IPv6, err = strconv.ParseBool(value)
	case "dns":
		c.DNS, err = parseUpstreams(value)
	}
	return err
}

func validKeys() string {
	keys := make([]string, 0, len(optionKeys))
	for k := range optionKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if err := checkCIDR(p); err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

// checkCIDR wants room for .100 and an IPv4 subnet that is not loopback,
// multicast or link-local (the container would not route it).
func checkCIDR(p netip.Prefix) error {
	a := p.Addr()
	switch {
	case !a.Is4():
		return fmt.Errorf("not IPv4")
	case p.Bits() < 8 || p.Bits() > 25:
		return fmt.Errorf("prefix length %d", p.Bits())
	case a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() || a.IsUnspecified():
		return fmt.Errorf("reserved range")
	}
	return nil
}

func parseMTU(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	if n < minMTU || n > maxMTU {
		return 0, fmt.Errorf("out of range")
	}
	return n, nil
}

func parseUpstreams(s string) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, one := range strings.Split(s, "+") {
		ap, err := parseUpstream(one)
		if err != nil {
			return nil, err
		}
		out = append(out, ap)
	}
	return out, nil
}

// parseUpstream accepts ip, ip:port and [ipv6]:port; the port defaults to 53.
func parseUpstream(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(a.Unmap(), 53), nil
}

// withDefaults fills the zero fields and checks the rest, so a Config built
// in code gets the same checks as one parsed from the command line.
func (c Config) withDefaults() (Config, error) {
	if !c.CIDR.IsValid() {
		c.CIDR = defaultCIDR
	}
	if err := checkCIDR(c.CIDR); err != nil {
		return Config{}, fmt.Errorf("slirp: cidr %s: %w", c.CIDR, err)
	}
	c.CIDR = c.CIDR.Masked()
	if c.MTU == 0 {
		c.MTU = defaultMTU
	}
	if c.udpIdle == 0 {
		c.udpIdle = udpIdle
	}
	if c.MTU < minMTU || c.MTU > maxMTU || (c.IPv6 && c.MTU < 1280) {
		return Config{}, fmt.Errorf("slirp: mtu %d out of range %d..%d", c.MTU, minMTU, maxMTU)
	}
	return c, nil
}

// Addresses returns what the init configures (container, gateway) and what
// the container's resolv.conf names (dns).
func (c Config) Addresses() (container, gateway, dns netip.Addr) {
	p := c.CIDR
	if !p.IsValid() {
		p = defaultCIDR
	}
	return hostInSubnet(p, 100), hostInSubnet(p, 2), hostInSubnet(p, 3)
}

// Addresses6 is Addresses for IPv6 (fd00::/64), valid when c.IPv6.
func (c Config) Addresses6() (container, gateway, dns netip.Addr) {
	return hostInSubnet(cidr6, 0x100), hostInSubnet(cidr6, 2), hostInSubnet(cidr6, 3)
}

var cidr6 = netip.MustParsePrefix("fd00::/64")

// hostInSubnet returns the n-th address of p (n small: it changes the last
// two bytes only).
func hostInSubnet(p netip.Prefix, n uint16) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	l := len(b)
	v := uint16(b[l-2])<<8 | uint16(b[l-1]) + n
	b[l-2], b[l-1] = byte(v>>8), byte(v)
	a, _ := netip.AddrFromSlice(b)
	return a
}
