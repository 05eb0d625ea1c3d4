package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"

	"nook/slirp"
)

// serveNook runs nook's stack on the TAP passed as fd 3, configured as
// `--network slirp:allow_host_loopback=true` would, until stdin closes.
func serveNook() error {
	c := slirp.Config{AllowHostLoopback: true, MTU: tapMTU, DNS: []netip.AddrPort{}}
	n, err := slirp.Start(3, c)
	if err != nil {
		return err
	}
	_, gw, _ := c.Addresses()
	fmt.Printf("ready %s\n", gw)
	io.Copy(io.Discard, os.Stdin)
	return n.Close()
}
