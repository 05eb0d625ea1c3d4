package cli

import "testing"

func TestIsDetachFlag(t *testing.T) {
	for arg, want := range map[string]bool{
		"-d": true, "--detach": true, "--detach=true": true, "-dit": true, "-itd": true,
		"-i": false, "-it": false, "--detach=false": false, "-e": false, "--rm": false,
		"-d=1": false, "-D": false, "d": false, "--d": false, "": false, "-": false,
	} {
		if got := isDetachFlag(arg); got != want {
			t.Errorf("isDetachFlag(%q) = %v, want %v", arg, got, want)
		}
	}
}

func TestEarlySupervisorOnlyForRunDetached(t *testing.T) {
	// Lines that must not start one; those that would are run for real
	// by the end-to-end tests.
	for _, args := range [][]string{
		nil, {"ps", "-d"}, {"run", "--rm", "img"}, {"run", "-d", "--help"}, {"run", "-h", "-d"},
		{"--debug", "run", "-d", "img"}, {"exec", "-d", "c", "true"},
	} {
		if s := earlySupervisor(args); s != nil {
			s.abandon()
			t.Errorf("earlySupervisor(%q) started a supervisor", args)
		}
	}
}
