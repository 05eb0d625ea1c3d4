package netconf

import (
	"encoding/binary"
	"encoding/hex"
	"flag"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func testConfig() Config {
	return Config{TAP: "tap0", Address: netip.MustParsePrefix("10.0.2.100/24"),
		Gateway: netip.MustParseAddr("10.0.2.2"), MTU: 65520}
}

// The batch is compared byte for byte with the golden file, one request a
// line in hex (little-endian hosts: netlink is in host order).
func TestRequestsGolden(t *testing.T) {
	if !littleEndian() {
		t.Fatal("the golden file is little-endian (netlink is in host order): regenerate it on this host with -update and check it by hand")
	}
	m := requests(testConfig(), 7)
	var lines []string
	for _, msg := range split(t, m.b) {
		lines = append(lines, hex.EncodeToString(msg))
	}
	got := strings.Join(lines, "\n") + "\n"
	const golden = "testdata/requests.hex"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("requests differ from %s:\ngot\n%swant\n%s", golden, got, want)
	}
}

// The same batch read back with the standard library's netlink parser: the
// fields mean what they should, whatever the byte order.
func TestRequestsParse(t *testing.T) {
	m := requests(testConfig(), 7)
	msgs, err := syscall.ParseNetlinkMessage(m.b)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []uint16{unix.RTM_NEWLINK, unix.RTM_NEWLINK, unix.RTM_NEWADDR, unix.RTM_NEWROUTE}
	if len(msgs) != len(wantTypes) || len(m.what) != len(msgs) {
		t.Fatalf("%d messages, %d descriptions, want %d", len(msgs), len(m.what), len(wantTypes))
	}
	for i, msg := range msgs {
		h := msg.Header
		if h.Type != wantTypes[i] || h.Seq != uint32(i+1) || h.Flags&(unix.NLM_F_REQUEST|unix.NLM_F_ACK) != unix.NLM_F_REQUEST|unix.NLM_F_ACK {
			t.Errorf("message %d: header %+v", i, h)
		}
	}
	checkLink(t, msgs[0], "lo", 0)
	checkLink(t, msgs[1], "tap0", 65520)
	checkAddr(t, msgs[2], 7)
	checkRoute(t, msgs[3], 7)
}

func checkLink(t *testing.T, msg syscall.NetlinkMessage, name string, mtu uint32) {
	t.Helper()
	ifi := msg.Data[:unix.SizeofIfInfomsg]
	if flags, change := native32(ifi[8:]), native32(ifi[12:]); flags != unix.IFF_UP || change != unix.IFF_UP || native32(ifi[4:]) != 0 {
		t.Errorf("link %s: ifinfomsg %x", name, ifi)
	}
	attrs := attrsOf(t, msg)
	if got := string(attrs[unix.IFLA_IFNAME]); got != name+"\x00" {
		t.Errorf("link name %q, want %q", got, name)
	}
	if mtu == 0 {
		if _, ok := attrs[unix.IFLA_MTU]; ok {
			t.Errorf("link %s: MTU set", name)
		}
	} else if got := native32(attrs[unix.IFLA_MTU]); got != mtu {
		t.Errorf("link %s: MTU %d, want %d", name, got, mtu)
	}
}

func checkAddr(t *testing.T, msg syscall.NetlinkMessage, index uint32) {
	t.Helper()
	if msg.Header.Flags&(unix.NLM_F_CREATE|unix.NLM_F_EXCL) != unix.NLM_F_CREATE|unix.NLM_F_EXCL {
		t.Errorf("address: flags %#x", msg.Header.Flags)
	}
	d := msg.Data
	if d[0] != unix.AF_INET || d[1] != 24 || d[3] != unix.RT_SCOPE_UNIVERSE || native32(d[4:]) != index {
		t.Errorf("ifaddrmsg %x", d[:unix.SizeofIfAddrmsg])
	}
	attrs := attrsOf(t, msg)
	for _, a := range []uint16{unix.IFA_LOCAL, unix.IFA_ADDRESS} {
		if ip, _ := netip.AddrFromSlice(attrs[a]); ip != netip.MustParseAddr("10.0.2.100") {
			t.Errorf("address attribute %d: %v", a, ip)
		}
	}
}

func checkRoute(t *testing.T, msg syscall.NetlinkMessage, index uint32) {
	t.Helper()
	d := msg.Data
	if d[0] != unix.AF_INET || d[1] != 0 || d[4] != unix.RT_TABLE_MAIN || d[7] != unix.RTN_UNICAST {
		t.Errorf("rtmsg %x", d[:unix.SizeofRtMsg])
	}
	attrs := attrsOf(t, msg)
	if gw, _ := netip.AddrFromSlice(attrs[unix.RTA_GATEWAY]); gw != netip.MustParseAddr("10.0.2.2") {
		t.Errorf("gateway %v", gw)
	}
	if oif := native32(attrs[unix.RTA_OIF]); oif != index {
		t.Errorf("output interface %d, want %d", oif, index)
	}
}

func attrsOf(t *testing.T, msg syscall.NetlinkMessage) map[uint16][]byte {
	t.Helper()
	attrs, err := syscall.ParseNetlinkRouteAttr(&msg)
	if err != nil {
		t.Fatalf("attributes of type %d: %v", msg.Header.Type, err)
	}
	out := map[uint16][]byte{}
	for _, a := range attrs {
		out[a.Attr.Type] = a.Value
	}
	return out
}

func split(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n := int(native32(b))
		if n < unix.NLMSG_HDRLEN || n > len(b) || n%4 != 0 {
			t.Fatalf("bad message length %d of %d", n, len(b))
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// With IPv6 the batch gains its address (without duplicate address
// detection) and default route, after IPv4's.
func TestRequestsIPv6(t *testing.T) {
	c := testConfig()
	c.Address6, c.Gateway6 = netip.MustParsePrefix("fd00::100/64"), netip.MustParseAddr("fd00::2")
	m := requests(c, 7)
	msgs, err := syscall.ParseNetlinkMessage(m.b)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 6 || len(m.what) != 6 {
		t.Fatalf("%d messages, want 6", len(msgs))
	}
	addr, route := msgs[4], msgs[5]
	if d := addr.Data; addr.Header.Type != unix.RTM_NEWADDR || d[0] != unix.AF_INET6 || d[1] != 64 || d[2] != unix.IFA_F_NODAD {
		t.Errorf("ifaddrmsg %x", d[:unix.SizeofIfAddrmsg])
	}
	if ip, _ := netip.AddrFromSlice(attrsOf(t, addr)[unix.IFA_LOCAL]); ip != netip.MustParseAddr("fd00::100") {
		t.Errorf("address %v", ip)
	}
	if route.Header.Type != unix.RTM_NEWROUTE || route.Data[0] != unix.AF_INET6 {
		t.Errorf("route %+v", route.Header)
	}
	if gw, _ := netip.AddrFromSlice(attrsOf(t, route)[unix.RTA_GATEWAY]); gw != netip.MustParseAddr("fd00::2") {
		t.Errorf("gateway %v", gw)
	}
}

// With a mark the batch ends with a rule and a local route per family,
// and Setup turns on tcp_fwmark_accept first.
func TestRequestsMark(t *testing.T) {
	c := testConfig()
	c.Mark = 0x6e6f6f6b
	c.Address6, c.Gateway6 = netip.MustParsePrefix("fd00::100/64"), netip.MustParseAddr("fd00::2")
	msgs, err := syscall.ParseNetlinkMessage(requests(c, 7).b)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 10 {
		t.Fatalf("%d messages, want 10", len(msgs))
	}
	for i, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		rule, route := msgs[6+2*i], msgs[7+2*i]
		if rule.Header.Type != unix.RTM_NEWRULE || rule.Data[0] != fam || rule.Data[7] != unix.FR_ACT_TO_TBL {
			t.Errorf("rule %d: %+v %x", i, rule.Header, rule.Data[:12])
		}
		a := ruleAttrs(t, rule.Data)
		if native32(a[unix.FRA_FWMARK]) != c.Mark || native32(a[unix.FRA_TABLE]) != MarkTable {
			t.Errorf("rule %d attributes %x", i, a)
		}
		if route.Header.Type != unix.RTM_NEWROUTE || route.Data[0] != fam || route.Data[7] != unix.RTN_LOCAL {
			t.Errorf("route %d: %+v %x", i, route.Header, route.Data[:12])
		}
		if native32(attrsOf(t, route)[unix.RTA_TABLE]) != MarkTable {
			t.Errorf("route %d not in table %d", i, MarkTable)
		}
	}
	k := &fakeKernel{}
	if _, err := Setup(k, c); err != nil {
		t.Fatal(err)
	}
	for _, path := range markSysctls {
		if want := "write " + path + "=1"; !slices.Contains(k.calls, want) {
			t.Errorf("calls %q lack %q", k.calls, want)
		}
	}
}

// ruleAttrs parses the attributes after a fib_rule_hdr, which syscall's
// parser does not know.
func ruleAttrs(t *testing.T, b []byte) map[uint16][]byte {
	t.Helper()
	out := map[uint16][]byte{}
	for b = b[12:]; len(b) >= 4; {
		n := int(binary.NativeEndian.Uint16(b))
		if n < 4 || n > len(b) {
			t.Fatalf("bad attribute length %d", n)
		}
		out[binary.NativeEndian.Uint16(b[2:])] = b[4:n]
		b = b[(n+3)&^3:]
	}
	return out
}
