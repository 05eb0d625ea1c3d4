package spec

import (
	"bufio"
	"bytes"
	"net/netip"
	"strings"
)

// EtcNetwork is what the generated /etc files need to know of the
// container's network.
type EtcNetwork struct {
	// Mode is none, host or slirp.
	Mode string
	// DNS are the user-mode network's DNS forwarder addresses (slirp).
	DNS []netip.Addr
	// HostGateway, when valid, is the address that reaches the host's
	// loopback (slirp's allow_host_loopback): hostGatewayNames name it.
	HostGateway netip.Addr
}

// HostGatewayEntry is the /etc/hosts line of podman's and Docker's names
// for the host, at gw.
func HostGatewayEntry(gw netip.Addr) string {
	return gw.String() + "\thost.containers.internal host.docker.internal\n"
}

// ResolvConf is the container's /etc/resolv.conf: the host's own with its
// network, the forwarder with slirp (keeping the host's search domains and
// options, as podman does: names resolve as they do on the host), nothing
// without a network.
func ResolvConf(n EtcNetwork, hostResolv []byte) string {
	switch n.Mode {
	case "host":
		return string(hostResolv)
	case "slirp":
		var b strings.Builder
		for _, a := range n.DNS {
			b.WriteString("nameserver " + a.String() + "\n")
		}
		b.WriteString(searchAndOptions(hostResolv))
		return b.String()
	}
	return "# nook: --network none has no DNS\n"
}

// searchAndOptions are the search, domain and options lines of a
// resolv.conf: the nameservers are the host's to reach, not the container's.
func searchAndOptions(resolv []byte) string {
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(resolv))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, _, _ := strings.Cut(line, " ")
		key, _, _ = strings.Cut(key, "\t")
		switch key {
		case "search", "domain", "options":
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
