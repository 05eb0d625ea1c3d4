package main

import (
	"fmt"
	"net"
	"os"

	"github.com/rootless-containers/rootlesskit/v3/pkg/network/gvisortapvsock"
)

// serveRootlessKit runs RootlessKit v3's gvisor-tap-vsock network driver
// for the namespaces of pid, both halves in this process: the parent
// creates tap0 there (ip tuntap, through nsenter into pid's user, mount
// and network namespaces), starts gvisor-tap-vsock's virtual network and
// listens on a Unix socket; the child opens tap0 in pid's network
// namespace (the path RootlessKit's detach-netns mode takes), dials that
// socket and copies frames both ways with a 2-byte length each, which the
// parent hands to AcceptStdio. RootlessKit runs the child half in its
// child process; here it shares the process with the stack.
//
// With host loopback allowed, RootlessKit maps its gateway, 10.0.2.1, to
// the host's 127.0.0.1.
func serveRootlessKit(pid int) error {
	_, ipnet, err := net.ParseCIDR(subnet)
	if err != nil {
		return err
	}
	parent, err := gvisortapvsock.NewParentDriver(os.Stderr, mtu, ipnet, "tap0", false, false)
	if err != nil {
		return fmt.Errorf("rootlesskit parent driver: %w", err)
	}
	state, err := os.MkdirTemp("", "nook-bench-rootlesskit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	msg, cleanup, err := parent.ConfigureNetwork(pid, state, "")
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		return fmt.Errorf("rootlesskit ConfigureNetwork: %w", err)
	}
	child := gvisortapvsock.NewChildDriver()
	if _, err := child.ConfigureNetworkChild(msg, fmt.Sprintf("/proc/%d/ns/net", pid)); err != nil {
		return fmt.Errorf("rootlesskit ConfigureNetworkChild: %w", err)
	}
	// The child's copiers have no stop: they end with the process.
	ready(msg.Gateway)
	return nil
}
