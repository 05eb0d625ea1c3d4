// Command program is nook's init alone, embedded in nook (package initbin)
// so that a container start does not pay for the CLI's dependencies twice.
// It is only ever started by nook, with nook's hidden arguments.
package main

import (
	"fmt"
	"os"

	"nook/nsagent"
	"nook/nsinit"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case nsinit.Arg:
			nsinit.Main()
		case nsagent.Arg:
			nsagent.Main()
		case nsinit.ExecArg:
			nsinit.ExecMain()
		case nsinit.ProbeArg:
			nsinit.Probe(os.Args[2:])
		}
	}
	fmt.Fprintln(os.Stderr, "nook-init: this program is part of nook and is started by it")
	os.Exit(2)
}
