// Command stacks-gvtap serves a TAP with gvisor-tap-vsock for bench/stacks
// (../main.go says how the benchmark drives it):
//
//	stacks-gvtap bess              pkg/virtualnetwork on the TAP passed as fd 3
//	stacks-gvtap rootlesskit PID   RootlessKit v3's gvisor-tap-vsock driver for
//	                               the namespaces of PID, which it gives a tap0
//	stacks-gvtap version           the module versions it was built with
//
// It is its own module because gvisor-tap-vsock v0.8.9 builds only against
// the gVisor it was released with, older than nook's. Once the TAP is
// served it prints "ready GATEWAY"; it stops when its stdin closes.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/sirupsen/logrus"
)

// The benchmark's layout: slirp4netns' addresses in 10.0.2.0/24.
const (
	subnet = "10.0.2.0/24"
	mtu    = 65520
)

func main() {
	// Both libraries log through logrus; a stack that breaks says why at
	// warning level, and the benchmark prints this stderr when a run fails.
	logrus.SetLevel(logrus.WarnLevel)
	var err error
	switch {
	case len(os.Args) == 2 && os.Args[1] == "bess":
		err = serveBess(3)
	case len(os.Args) == 3 && os.Args[1] == "rootlesskit":
		var pid int
		if pid, err = strconv.Atoi(os.Args[2]); err == nil {
			err = serveRootlessKit(pid)
		}
	case len(os.Args) == 2 && os.Args[1] == "version":
		err = printVersions()
	default:
		err = fmt.Errorf("usage: stacks-gvtap bess | rootlesskit PID | version")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "stacks-gvtap: %v\n", err)
		os.Exit(1)
	}
}

// ready tells the benchmark the TAP is served and waits until it is done.
func ready(gateway string) {
	fmt.Printf("ready %s\n", gateway)
	io.Copy(io.Discard, os.Stdin)
}

func printVersions() error {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("no build info")
	}
	for _, d := range info.Deps {
		switch d.Path {
		case "github.com/containers/gvisor-tap-vsock", "github.com/rootless-containers/rootlesskit/v3":
			fmt.Println(d.Path, d.Version)
		case "gvisor.dev/gvisor":
			fmt.Println(d.Path+" (gvisor-tap-vsock)", d.Version)
		}
	}
	return nil
}
