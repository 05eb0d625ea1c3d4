// Command mkrootfs builds the test rootfs (see nook/testdata/rootfs) for the
// benchmarks: mkrootfs DIR PROBE.
package main

import (
	"fmt"
	"os"

	"nook/testdata/rootfs"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkrootfs DIR PROBE")
		os.Exit(2)
	}
	if err := rootfs.Build(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "mkrootfs: %v\n", err)
		os.Exit(1)
	}
}
