package netconf

import (
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const kernelChildEnv = "NOOK_NETCONF_KERNEL_CHILD"

// TestApplyInANetworkNamespace re-executes the test binary in a new user
// and network namespace, as the init runs, configures the network there
// for real and reads the result back with iproute2.
func TestApplyInANetworkNamespace(t *testing.T) {
	if os.Getenv(kernelChildEnv) != "" {
		kernelChild(t)
		return
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Fatalf("no /dev/net/tun (.ci/setup makes it usable): %v", err)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("no iproute2 (.ci/setup installs it)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestApplyInANetworkNamespace$", "-test.v")
	cmd.Env = append(os.Environ(), kernelChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child in a network namespace: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "netconf-child-done") {
		t.Fatalf("child did not run the checks:\n%s", out)
	}
	t.Logf("%s", out)
}

func kernelChild(t *testing.T) {
	c := testConfig()
	c.Address6, c.Gateway6 = netip.MustParsePrefix("fd00::100/64"), netip.MustParseAddr("fd00::2")
	c.Mark = 0x6e6f6f6b
	begin := time.Now()
	fd, err := Apply(c)
	took := time.Since(begin)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	t.Logf("Apply took %v", took)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-o", "link", "show", "lo"}, []string{"UP"}},
		{[]string{"-o", "link", "show", "tap0"}, []string{"mtu 65520", "UP"}},
		{[]string{"-o", "-4", "addr", "show", "dev", "tap0"}, []string{"inet 10.0.2.100/24"}},
		{[]string{"-4", "route", "show", "default"}, []string{"default via 10.0.2.2 dev tap0"}},
		{[]string{"-o", "-6", "addr", "show", "dev", "tap0"}, []string{"inet6 fd00::100/64"}},
		{[]string{"-6", "route", "show", "default"}, []string{"default via fd00::2 dev tap0"}},
		{[]string{"-4", "rule", "show"}, []string{"from all fwmark 0x6e6f6f6b lookup 28271"}},
		{[]string{"-6", "rule", "show"}, []string{"from all fwmark 0x6e6f6f6b lookup 28271"}},
		{[]string{"-4", "route", "show", "table", "28271"}, []string{"local default dev lo"}},
		{[]string{"-6", "route", "show", "table", "28271"}, []string{"local default dev lo"}},
	} {
		out, err := exec.Command("ip", c.args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(c.args, " "), err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("ip %s: %q lacks %q", strings.Join(c.args, " "), out, w)
			}
		}
	}
	for _, path := range markSysctls {
		if b, err := os.ReadFile(path); err != nil || strings.TrimSpace(string(b)) != "1" {
			t.Errorf("%s: %q, %v", path, b, err)
		}
	}
	// A second TAP of the same name is refused, with the fix.
	if _, err := Apply(testConfig()); err == nil || !strings.Contains(err.Error(), "tap0") {
		t.Errorf("second Apply: %v", err)
	}
	if !t.Failed() {
		t.Log("netconf-child-done")
	}
}
