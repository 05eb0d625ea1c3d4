// Command nook runs rootless containers and sandboxes.
package main

import (
	"os"

	"nook/cli"
	"nook/nsagent"
	"nook/nsinit"
	"nook/nsjob"
)

func main() {
	// The init side is the same binary, re-executed into new namespaces;
	// it must not pay for the CLI.
	if len(os.Args) > 1 && os.Args[1] == nsinit.Arg {
		nsinit.Main()
	}
	if len(os.Args) > 1 && os.Args[1] == nsagent.Arg {
		nsagent.Main()
	}
	if len(os.Args) > 1 && os.Args[1] == nsinit.ExecArg {
		nsinit.ExecMain()
	}
	if len(os.Args) > 1 && os.Args[1] == nsinit.ProbeArg {
		nsinit.Probe(os.Args[2:])
	}
	if len(os.Args) > 1 && os.Args[1] == nsjob.Arg {
		nsjob.Main()
	}
	os.Exit(cli.Main(os.Args[1:]))
}
