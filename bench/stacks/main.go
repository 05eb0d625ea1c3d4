// Command stacks measures the throughput of the user-mode network stacks
// issue 4 names, side by side on one setup: a TAP (tap0, MTU 65520) in a
// fresh user and network namespace, Debian's iperf3 client inside it and
// the server on the host's 127.0.0.1, reached through the stack's gateway
// (container→host), and -R the other way (host→container). The stacks:
//
//	nook         nook/slirp: gVisor's netstack reading the TAP fd itself
//	gvtap        gvisor-tap-vsock's pkg/virtualnetwork, fed the TAP's frames
//	             over a SOCK_SEQPACKET socketpair (its BESS protocol) by an
//	             adapter of two goroutines (stacks-gvtap bess)
//	rootlesskit  RootlessKit v3's gvisor-tap-vsock network driver, its parent
//	             and child halves as RootlessKit runs them: the child copies
//	             between the TAP and a Unix stream socket with a 2-byte length
//	             per frame, the parent feeds that to AcceptStdio
//	             (stacks-gvtap rootlesskit)
//
// gvisor-tap-vsock v0.8.9 does not build against the gVisor nook uses (the
// UDP forwarder's handler changed type), so the last two live in their own
// module (gvtap/) with the gVisor they were released with, in their own
// binary, stacks-gvtap, found beside this one.
//
// Every stack runs in its own process (this binary's hidden subcommand
// serve-nook, or stacks-gvtap) with a fresh namespace per repetition; the
// rounds interleave the stacks and the host loopback ceiling, in an order
// that rotates, and the table has the medians. Run as root:
//
//	stacks [-reps 5] [-duration 5] [-out bin/bench/stacks.md] [-stacks nook,gvtap,rootlesskit]
package main

import (
	"fmt"
	"os"
)

func main() {
	var err error
	switch sub := subcommand(); sub {
	case "hold":
		err = hold()
	case "serve-nook":
		err = serveNook()
	default:
		err = bench(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "stacks: %v\n", err)
		os.Exit(1)
	}
}

// subcommand is the internal entry point this binary was re-executed for,
// or "" for the benchmark itself.
func subcommand() string {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "hold", "serve-nook":
			return os.Args[1]
		}
	}
	return ""
}
