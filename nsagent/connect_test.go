package nsagent

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
	"nook/netconf"
)

const childEnv = "NOOK_NSAGENT_CONNECT_CHILD"

const testMark = 0x6e6f6f6b

// TestConnectInANetworkNamespace re-executes the test binary in a new
// user and network namespace configured as the init does it with a mark,
// and connects there as the agent does: the server sees the client's
// address, which is not one of the namespace's.
func TestConnectInANetworkNamespace(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		connectChild(t)
		return
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Fatalf("no /dev/net/tun (.ci/setup makes it usable): %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConnectInANetworkNamespace$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "nsagent-child-done") {
		t.Fatalf("child in a network namespace: %v\n%s", err, out)
	}
}

func connectChild(t *testing.T) {
	fd, err := netconf.Apply(netconf.Config{TAP: "tap0", Address: netip.MustParsePrefix("10.0.2.100/24"),
		Gateway: netip.MustParseAddr("10.0.2.2"), MTU: 65520, Mark: testMark,
		Address6: netip.MustParsePrefix("fd00::100/64"), Gateway6: netip.MustParseAddr("fd00::2")})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for _, c := range []struct{ listen, from string }{
		{"10.0.2.100:0", "192.0.2.9:40000"},
		{"10.0.2.100:0", "10.0.2.2:0"}, // the gateway, for clients the container could not answer
		{"[fd00::100]:0", "[2001:db8::9]:40000"},
	} {
		checkConnect(t, c.listen, netip.MustParseAddrPort(c.from))
	}
	// Nothing listens: the error names both ends.
	_, err = connect(netip.MustParseAddrPort("192.0.2.9:40001"), netip.MustParseAddrPort("10.0.2.100:9"), testMark)
	if err == nil || !strings.Contains(err.Error(), "10.0.2.100:9") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("connect to a closed port: %v", err)
	}
	if !t.Failed() {
		t.Log("nsagent-child-done")
	}
}

// checkConnect connects twice from `from` to a server on listen (the
// second time the client's port is in TIME_WAIT) and checks what the
// server sees and that bytes go both ways.
func checkConnect(t *testing.T, listen string, from netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	to := netip.MustParseAddrPort(ln.Addr().String())
	for i := range 2 {
		fd, err := connect(from, to, testMark)
		if err != nil {
			t.Fatalf("connect from %s: %v", from, err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		peer := netip.MustParseAddrPort(s.RemoteAddr().String())
		// The second time the client's port may be replaced (TIME_WAIT);
		// its address never is.
		if peer.Addr().Unmap() != from.Addr() || (i == 0 && from.Port() != 0 && peer.Port() != from.Port()) {
			t.Errorf("the server saw %s, want %s", peer, from)
		}
		if _, err := s.Write([]byte("hi")); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 2)
		if n, err := unix.Read(fd, b); err != nil || string(b[:n]) != "hi" {
			t.Errorf("read %q, %v", b[:n], err)
		}
		unix.Close(fd)
		s.Close()
	}
}
