package headstart

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

// Only run -d gets a supervisor before its flags are parsed; lines that
// only look so are run for real by the end-to-end tests.
func TestLooksDetached(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"run", "-d", "img"}, true},
		{[]string{"run", "--name", "x", "-dit", "img", "sh"}, true},
		{[]string{"run", "--rm", "img", "echo", "-d"}, true}, // told apart after parsing
		{nil, false},
		{[]string{"ps", "-d"}, false},
		{[]string{"run", "--rm", "img"}, false},
		{[]string{"run", "-d", "--help"}, false},
		{[]string{"run", "-h", "-d"}, false},
		{[]string{"--debug", "run", "-d", "img"}, false},
		{[]string{"exec", "-d", "c", "true"}, false},
	} {
		if got := LooksDetached(c.args); got != c.want {
			t.Errorf("LooksDetached(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

// A test binary's own command line never starts one.
func TestNoSupervisorInTests(t *testing.T) {
	if Early() != nil {
		t.Error("a supervisor was started for the test binary")
	}
}
