package slirp

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// upstreamEnv names one resolver (ip:port) that replaces the host's; the
// tests point it at a fake server.
const upstreamEnv = "NOOK_DNS_UPSTREAM"

// defaultUpstreams returns $NOOK_DNS_UPSTREAM or the host's nameservers.
// A loopback nameserver (systemd-resolved's 127.0.0.53) is fine: the
// forwarder runs on the host.
func defaultUpstreams() ([]netip.AddrPort, error) {
	if s := os.Getenv(upstreamEnv); s != "" {
		ups, err := parseUpstreams(s)
		if err != nil {
			return nil, fmt.Errorf("slirp: $%s=%s: want ip[:port]", upstreamEnv, s)
		}
		return ups, nil
	}
	data, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		// No resolv.conf means the host resolves nothing either; the
		// forwarder then answers SERVFAIL.
		return nil, nil
	}
	return parseResolvConf(data), nil
}

func parseResolvConf(data []byte) []netip.AddrPort {
	var out []netip.AddrPort
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		// A zone (fe80::1%eth0) cannot be reached from a socket that
		// does not name the interface; skip it rather than fail.
		a, err := netip.ParseAddr(f[1])
		if err != nil || a.Zone() != "" {
			continue
		}
		if a.IsUnspecified() {
			// resolv.conf(5): 0.0.0.0 means this host.
			a = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
		out = append(out, netip.AddrPortFrom(a.Unmap(), 53))
	}
	return out
}
