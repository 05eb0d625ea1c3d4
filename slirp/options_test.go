package slirp

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseOptions(t *testing.T) {
	c, err := ParseOptions("")
	if err != nil {
		t.Fatal(err)
	}
	if c.CIDR != defaultCIDR || c.MTU != 65520 || c.AllowHostLoopback || c.IPv6 {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = ParseOptions("cidr=10.0.3.0/24,mtu=1500,allow_host_loopback=true,enable_ipv6=true,dns=1.1.1.1+[2001:db8::1]:5353")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		CIDR: netip.MustParsePrefix("10.0.3.0/24"), MTU: 1500, AllowHostLoopback: true, IPv6: true,
		DNS: []netip.AddrPort{netip.MustParseAddrPort("1.1.1.1:53"), netip.MustParseAddrPort("[2001:db8::1]:5353")},
	}
	if c.CIDR != want.CIDR || c.MTU != want.MTU || !c.AllowHostLoopback || !c.IPv6 || len(c.DNS) != 2 || c.DNS[0] != want.DNS[0] || c.DNS[1] != want.DNS[1] {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	ct, gw, dns := c.Addresses()
	if ct.String() != "10.0.3.100" || gw.String() != "10.0.3.2" || dns.String() != "10.0.3.3" {
		t.Fatalf("addresses %s %s %s", ct, gw, dns)
	}
}

func TestParseOptionsErrors(t *testing.T) {
	for in, want := range map[string]string{
		"mtu":                       `"mtu" is not key=value; valid keys: allow_host_loopback, cidr, dns, enable_ipv6, mtu`,
		"speed=fast":                `unknown key "speed"; valid keys: allow_host_loopback, cidr, dns, enable_ipv6, mtu`,
		"mtu=70000":                 "mtu=70000: want 576..65520",
		"mtu=big":                   "mtu=big: want 576..65520",
		"cidr=10.0.3.0":             "cidr=10.0.3.0: want an IPv4 prefix",
		"cidr=127.0.0.0/8":          "cidr=127.0.0.0/8: want an IPv4 prefix",
		"cidr=10.0.0.0/30":          "cidr=10.0.0.0/30: want an IPv4 prefix",
		"cidr=fd00::/64":            "cidr=fd00::/64: want an IPv4 prefix",
		"allow_host_loopback=maybe": "allow_host_loopback=maybe: want true or false",
		"dns=resolver":              "dns=resolver: want ip[:port]",
		"mtu=1000,enable_ipv6=true": "mtu 1000 out of range",
	} {
		_, err := ParseOptions(in)
		if err == nil {
			t.Errorf("%s: accepted", in)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: got %q, want it to contain %q", in, msg, want)
		}
	}
}

func TestAddressesOfZeroConfig(t *testing.T) {
	ct, gw, dns := Config{}.Addresses()
	if ct.String() != "10.0.2.100" || gw.String() != "10.0.2.2" || dns.String() != "10.0.2.3" {
		t.Fatalf("addresses %s %s %s", ct, gw, dns)
	}
	ct, gw, dns = Config{}.Addresses6()
	if ct.String() != "fd00::100" || gw.String() != "fd00::2" || dns.String() != "fd00::3" {
		t.Fatalf("addresses %s %s %s", ct, gw, dns)
	}
}
