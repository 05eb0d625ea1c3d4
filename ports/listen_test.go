package ports

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func mustParse(t *testing.T, specs ...string) []Mapping {
	t.Helper()
	var ms []Mapping
	for _, s := range specs {
		m, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m...)
	}
	return ms
}

func TestListenPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	_, err = Listen(mustParse(t, "127.0.0.1:"+itoa(port)+":80"))
	want := "host port 127.0.0.1:" + itoa(port) + "/tcp is already in use (by another program): choose another with -p HOSTPORT:80"
	if err == nil || err.Error() != want {
		t.Fatalf("Listen on a busy port: %v, want %q", err, want)
	}
}

func TestListenUDPInUse(t *testing.T) {
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := itoa(busy.LocalAddr().(*net.UDPAddr).Port)
	_, err = Listen(mustParse(t, "127.0.0.1:"+port+":53/udp"))
	if err == nil || !strings.Contains(err.Error(), port+"/udp is already in use") {
		t.Fatalf("Listen on a busy UDP port: %v", err)
	}
}

// TestListenNothingLeftAfterError binds free ports, then fails on a busy
// one: the free ones must be free again.
func TestListenNothingLeftAfterError(t *testing.T) {
	free := freePorts(t, 3)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	specs := []string{
		"127.0.0.1:" + itoa(free[0]) + ":80",
		"127.0.0.1:" + itoa(free[1]) + ":53/udp",
		"127.0.0.1:" + itoa(free[2]) + ":81",
		"127.0.0.1:" + itoa(busy.Addr().(*net.TCPAddr).Port) + ":82",
	}
	if _, err := Listen(mustParse(t, specs...)); err == nil {
		t.Fatal("Listen with a busy port succeeded")
	}
	b, err := Listen(mustParse(t, specs[:3]...))
	if err != nil {
		t.Fatalf("ports bound by the failed Listen are still bound: %v", err)
	}
	b.Close()
}

func TestListenRandomPorts(t *testing.T) {
	b, err := Listen(mustParse(t, "127.0.0.1::80", "127.0.0.1::53/udp", "[::1]::80"))
	if err != nil {
		if strings.Contains(err.Error(), "::1") {
			t.Fatalf("no IPv6 loopback here: %v", err)
		}
		t.Fatal(err)
	}
	defer b.Close()
	got := b.Ports()
	if len(got) != 3 {
		t.Fatalf("Ports = %v", got)
	}
	for _, m := range got {
		if m.HostPort == 0 {
			t.Errorf("random port not resolved: %v", m)
		}
	}
	if got[2].HostIP != netip.MustParseAddr("::1") || got[1].Proto != "udp" {
		t.Errorf("Ports = %v", got)
	}
}

// TestListenAllAddresses: without a host address both families are
// reported, as Docker lists 0.0.0.0 and [::].
func TestListenAllAddresses(t *testing.T) {
	b, err := Listen(mustParse(t, "80"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := b.Ports()
	if got[0].HostIP != netip.IPv4Unspecified() || got[0].HostPort == 0 {
		t.Fatalf("Ports = %v", got)
	}
	if ipv6() && (len(got) != 2 || got[1].HostIP != netip.IPv6Unspecified() || got[1].HostPort != got[0].HostPort) {
		t.Errorf("Ports = %v, want 0.0.0.0 and [::] on one port", got)
	}
	// One dual-stack socket: reachable over IPv4.
	c, err := net.Dial("tcp", got[0].HostAddr())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestListenDuplicate(t *testing.T) {
	_, err := Listen(mustParse(t, "8080:80", "127.0.0.1:8080:81"))
	if err == nil || !strings.Contains(err.Error(), "published twice") {
		t.Errorf("a host port given twice: %v", err)
	}
	// The same host port for TCP and UDP, or on two addresses, is fine.
	free := itoa(freePorts(t, 1)[0])
	b, err := Listen(mustParse(t, "127.0.0.1:"+free+":80", "127.0.0.1:"+free+":80/udp"))
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
}

func TestListenNotAnAddress(t *testing.T) {
	_, err := Listen(mustParse(t, "198.51.100.254:8080:80"))
	if err == nil || !strings.Contains(err.Error(), "198.51.100.254 is not an address of this host") {
		t.Errorf("an address the host lacks: %v", err)
	}
}

func TestNilBound(t *testing.T) {
	var b *Bound
	b.Serve(nil)
	b.Close()
	if b.Ports() != nil {
		t.Error("nil Bound has ports")
	}
}

func ipv6() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func itoa(n int) string { return strconv.Itoa(n) }
