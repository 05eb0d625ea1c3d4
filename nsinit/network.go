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

// early is what the init did before the Start message.
type early struct {
	// network: the TAP device is set up (the Network message came first).
	network bool
	took    time.Duration
}

// networkFirst answers the Network message, which comes before Start: it
// makes and configures the TAP device and sends its descriptor to the
// host side, while the host writes the id maps (nothing here needs them:
// root of the user namespace holds CAP_NET_ADMIN in its network namespace
// from the clone on, and /dev/net/tun is the host's, mode 0666, until
// pivot_root).
func networkFirst(n *messages.NetworkConfig) early {
	begin := time.Now()
	fd, err := netconf.Apply(netconf.Config{TAP: n.TAP, Address: n.Address, Gateway: n.Gateway, MTU: n.MTU,
		Address6: n.Address6, Gateway6: n.Gateway6, Mark: n.Mark})
	if err == nil {
		// The message carries a copy to the host side; the device must
		// live exactly as long as the host's stack holds that one.
		err = messages.Send(syncFD, messages.Msg{Kind: messages.KindTAP}, fd)
		unix.Close(fd)
	}
	if err != nil {
		// The host side is writing the id maps: exiting now would fail
		// that and hide this error behind its own. Report, let the host
		// finish (Start, or EOF), then exit.
		code := report(err)
		_, _, _ = messages.Recv(syncFD)
		os.Exit(code)
	}
	return early{network: true, took: time.Since(begin)}
}

// finishNetwork brings lo up in a network namespace without a user-mode
// network (a new one starts with it down); with one, the TAP setup did.
func finishNetwork(c *messages.Config, e early) error {
	if e.network {
		if c.Debug {
			fmt.Fprintf(os.Stderr, "nook: network set up in %v, before the id maps were written\n", e.took)
		}
		return nil
	}
	if !hasNamespace(c.Spec, specs.NetworkNamespace) {
		return nil
	}
	return loopbackUp()
}
