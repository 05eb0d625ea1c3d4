package cli

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"nook/messages"
	"nook/mounts"
	"nook/slirp"
	"nook/spec"
)

// tapName is the container's TAP device, as slirp4netns names it.
const tapName = "tap0"

// network is --network read: slirp (with its options), none or host. The
// flag's default differs between run (slirp) and sandbox (none): each
// command sets ${network} for the flag they share.
type network struct {
	Mode string
	// Options is what follows "slirp:".
	Options string
	slirp   slirp.Config
}

// readNetwork parses --network into f.net; a malformed value is a usage
// error, as the flag errors kong reports are.
func (f *isolation) readNetwork() error {
	n, err := parseNetwork(f.Network)
	if err != nil {
		return usage(err.Error())
	}
	f.net = n
	return nil
}

func parseNetwork(s string) (network, error) {
	mode, opts, hasOpts := strings.Cut(s, ":")
	switch mode {
	case "none", "host":
		if hasOpts {
			return network{}, fmt.Errorf("--network %s takes no options (only slirp does: slirp:%s)", mode, opts)
		}
		return network{Mode: mode}, nil
	case "slirp":
		c, err := slirp.ParseOptions(opts)
		if err != nil {
			return network{}, err
		}
		return network{Mode: mode, Options: opts, slirp: c}, nil
	}
	return network{}, fmt.Errorf("invalid --network %q: valid values are slirp[:cidr=...,mtu=...,allow_host_loopback=true], none and host", s)
}

// initConfig is what the init configures in the container (slirp only).
func (n network) initConfig() *messages.NetworkConfig {
	if n.Mode != "slirp" {
		return nil
	}
	ctr, gw, _ := n.slirp.Addresses()
	c := &messages.NetworkConfig{TAP: tapName, Address: netip.PrefixFrom(ctr, n.slirp.CIDR.Bits()),
		Gateway: gw, MTU: n.slirp.MTU, Options: n.Options}
	if n.slirp.IPv6 {
		ctr6, gw6, _ := n.slirp.Addresses6()
		c.Address6, c.Gateway6 = netip.PrefixFrom(ctr6, 64), gw6
	}
	return c
}

// etc is what the generated /etc files say about the network.
func (n network) etc() spec.EtcNetwork {
	e := spec.EtcNetwork{Mode: n.Mode}
	if n.Mode != "slirp" {
		return e
	}
	_, gw, dns := n.slirp.Addresses()
	e.DNS = []netip.Addr{dns}
	if n.slirp.IPv6 {
		_, _, dns6 := n.slirp.Addresses6()
		e.DNS = append(e.DNS, dns6)
	}
	if n.slirp.AllowHostLoopback {
		e.HostGateway = gw
	}
	return e
}

// hostResolv is the host's resolv.conf when the container's needs it.
func (n network) hostResolv() []byte {
	if n.Mode == "none" {
		return nil
	}
	b, _ := os.ReadFile("/etc/resolv.conf")
	return b
}

// sandboxFiles are the host's files a sandbox with slirp cannot use as
// they are: resolv.conf names the forwarder, and /etc/hosts gains the
// host's names when the host's loopback is reachable.
func (n network) sandboxFiles() []mounts.File {
	if n.Mode != "slirp" {
		return nil
	}
	e := n.etc()
	files := []mounts.File{{Path: "/etc/resolv.conf", Data: spec.ResolvConf(e, n.hostResolv())}}
	if e.HostGateway.IsValid() {
		hosts, _ := os.ReadFile("/etc/hosts")
		files = append(files, mounts.File{Path: "/etc/hosts", Data: string(hosts) + spec.HostGatewayEntry(e.HostGateway)})
	}
	return files
}
