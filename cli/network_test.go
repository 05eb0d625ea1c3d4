package cli

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

func TestParseNetwork(t *testing.T) {
	for _, tt := range []struct {
		in, mode string
		addr     string // the container's address/prefix, slirp only
		gw       string
		mtu      int
	}{
		{"none", "none", "", "", 0},
		{"host", "host", "", "", 0},
		{"slirp", "slirp", "10.0.2.100/24", "10.0.2.2", 65520},
		{"slirp:", "slirp", "10.0.2.100/24", "10.0.2.2", 65520},
		{"slirp:cidr=10.0.3.0/24,mtu=1500", "slirp", "10.0.3.100/24", "10.0.3.2", 1500},
		{"slirp:allow_host_loopback=true", "slirp", "10.0.2.100/24", "10.0.2.2", 65520},
	} {
		n, err := parseNetwork(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if n.Mode != tt.mode {
			t.Errorf("%q: mode %q, want %q", tt.in, n.Mode, tt.mode)
		}
		c := n.initConfig()
		if tt.addr == "" {
			if c != nil {
				t.Errorf("%q: init config %+v, want none", tt.in, c)
			}
			continue
		}
		if c == nil || c.TAP != "tap0" || c.Address != netip.MustParsePrefix(tt.addr) ||
			c.Gateway != netip.MustParseAddr(tt.gw) || c.MTU != tt.mtu || c.Options != strings.TrimPrefix(strings.TrimPrefix(tt.in, "slirp"), ":") {
			t.Errorf("%q: init config %+v", tt.in, c)
		}
	}
}

// A malformed value is one line naming what is valid, and a usage error
// (exit 2), as kong's own flag errors.
func TestParseNetworkErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"bogus", `invalid --network "bogus": valid values are slirp[:`},
		{"bridge", "none and host"},
		{"none:x", "--network none takes no options"},
		{"slirp:mtu=5", "mtu=5"},
		{"slirp:cidr=nonsense", "cidr=nonsense"},
		{"slirp:frobnicate=1", "frobnicate"},
	} {
		f := &isolation{Network: tt.in}
		err := f.readNetwork()
		var ue usageErr
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", tt.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %q, want one line with %q", tt.in, err, tt.want)
		}
	}
}

// run defaults to slirp, sandbox to none.
func TestNetworkDefaults(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--rootfs", t.TempDir(), "true"}, "slirp"},
		{[]string{"sandbox", "true"}, "none"},
		{[]string{"sandbox", "--network", "slirp", "true"}, "slirp"},
		{[]string{"run", "--network", "host", "img"}, "host"},
	} {
		for _, g := range []any{grammarFor(tt.args), &grammar{}} {
			p, err := kong.New(g, kong.Exit(func(int) { t.Fatal("kong exited") }))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Parse(tt.args); err != nil {
				t.Fatalf("%q: %v", tt.args, err)
			}
			if got := networkOf(g, tt.args[0]); got != tt.want {
				t.Errorf("%q (%T): network %q, want %q", tt.args, g, got, tt.want)
			}
		}
	}
}

func networkOf(g any, cmd string) string {
	field := "Run"
	if cmd == "sandbox" {
		field = "Sandbox"
	}
	return reflect.ValueOf(g).Elem().FieldByName(field).FieldByName("Network").String()
}

func TestNetworkEtc(t *testing.T) {
	n, err := parseNetwork("slirp:allow_host_loopback=true")
	if err != nil {
		t.Fatal(err)
	}
	e := n.etc()
	if len(e.DNS) != 1 || e.DNS[0] != netip.MustParseAddr("10.0.2.3") || e.HostGateway != netip.MustParseAddr("10.0.2.2") {
		t.Errorf("etc %+v", e)
	}
	n, _ = parseNetwork("slirp")
	if e := n.etc(); e.HostGateway.IsValid() {
		t.Errorf("host gateway %v without allow_host_loopback", e.HostGateway)
	}
	if files := n.sandboxFiles(); len(files) != 1 || files[0].Path != "/etc/resolv.conf" || !strings.HasPrefix(files[0].Data, "nameserver 10.0.2.3\n") {
		t.Errorf("sandbox files %+v", files)
	}
	n, _ = parseNetwork("none")
	if files := n.sandboxFiles(); files != nil {
		t.Errorf("sandbox files with none: %+v", files)
	}
}
