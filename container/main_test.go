package container

import (
	"os"
	"testing"

	"nook/nsagent"
	"nook/nsinit"
)

// TestMain lets the test binary be the init program: without an embedded
// one, nook re-executes /proc/self/exe for the probes, the init and the
// agent, and the agent its own program for exec helpers.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case nsinit.ProbeArg:
			nsinit.Probe(os.Args[2:])
		case nsinit.Arg:
			nsinit.Main()
		case nsagent.Arg:
			nsagent.Main()
		case nsinit.ExecArg:
			nsinit.ExecMain()
		}
	}
	os.Exit(m.Run())
}
