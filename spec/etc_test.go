package spec

import (
	"net/netip"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestNetworkEtcFilesSlirp(t *testing.T) {
	host := []byte("# systemd-resolved\nnameserver 127.0.0.53\nsearch corp.example lab.example\noptions edns0 trust-ad\ndomain corp.example\n")
	dns := []netip.Addr{netip.MustParseAddr("10.0.2.3")}
	for _, tt := range []struct {
		name     string
		gateway  netip.Addr
		hostLine bool
	}{
		{"without host loopback", netip.Addr{}, false},
		{"with host loopback", netip.MustParseAddr("10.0.2.2"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, f := range NetworkEtcFiles("box", EtcNetwork{Mode: "slirp", DNS: dns, HostGateway: tt.gateway}, host) {
				got[f.Path] = f.Data
			}
			wantResolv := "nameserver 10.0.2.3\nsearch corp.example lab.example\noptions edns0 trust-ad\ndomain corp.example\n"
			if got["/etc/resolv.conf"] != wantResolv {
				t.Errorf("resolv.conf %q, want %q", got["/etc/resolv.conf"], wantResolv)
			}
			line := "10.0.2.2\thost.containers.internal host.docker.internal\n"
			if strings.Contains(got["/etc/hosts"], line) != tt.hostLine {
				t.Errorf("hosts %q: host line present %v, want %v", got["/etc/hosts"], !tt.hostLine, tt.hostLine)
			}
			if !strings.Contains(got["/etc/hosts"], "\tbox\n") || got["/etc/hostname"] != "box\n" {
				t.Errorf("files %q", got)
			}
		})
	}
}

// slirp has a network namespace of its own, and so a fresh sysfs.
func TestSlirpNamespace(t *testing.T) {
	s, err := Container("/rootfs", Options{Args: []string{"true"}, Network: "slirp"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ns := range s.Linux.Namespaces {
		found = found || ns.Type == specs.NetworkNamespace
	}
	if !found {
		t.Error("no network namespace")
	}
	for _, m := range s.Mounts {
		if m.Destination == "/sys" && m.Type != "sysfs" {
			t.Errorf("/sys is %+v, want a fresh sysfs", m)
		}
	}
}
