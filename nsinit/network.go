package nsinit

import (
	"fmt"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/messages"
	"nook/netconf"
)

// startNetwork gives the container's own network namespace its lo, and
// with a user-mode network its TAP device, whose descriptor goes to the
// host side before anything else is sent. It runs first: /dev/net/tun is
// the host's, reachable only until pivot_root, and the host's stack can
// start while the filesystem is assembled.
func startNetwork(c *messages.Config) error {
	if !hasNamespace(c.Spec, specs.NetworkNamespace) {
		return nil
	}
	n := c.Network
	if n == nil {
		return loopbackUp()
	}
	begin := time.Now()
	fd, err := netconf.Apply(netconf.Config{TAP: n.TAP, Address: n.Address, Gateway: n.Gateway, MTU: n.MTU,
		Address6: n.Address6, Gateway6: n.Gateway6})
	if err != nil {
		return err
	}
	if c.Debug {
		fmt.Fprintf(os.Stderr, "nook: %s %s via %s, mtu %d, set up in %v\n", n.TAP, n.Address, n.Gateway, n.MTU, time.Since(begin))
	}
	// The message carries a copy to the host side; the device must live
	// exactly as long as the host's stack holds that one.
	defer unix.Close(fd)
	return messages.Send(syncFD, messages.Msg{Kind: messages.KindTAP}, fd)
}
