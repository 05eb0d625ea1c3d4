package ports

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	v4 := netip.MustParseAddr("127.0.0.1")
	v6 := netip.MustParseAddr("::1")
	for _, c := range []struct {
		spec string
		want []Mapping
	}{
		{"80", []Mapping{{ContainerPort: 80, Proto: "tcp"}}},
		{"80/udp", []Mapping{{ContainerPort: 80, Proto: "udp"}}},
		{"80/TCP", []Mapping{{ContainerPort: 80, Proto: "tcp"}}},
		{"8080:80", []Mapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}},
		{"127.0.0.1:8080:80/udp", []Mapping{{HostIP: v4, HostPort: 8080, ContainerPort: 80, Proto: "udp"}}},
		{"127.0.0.1::80", []Mapping{{HostIP: v4, ContainerPort: 80, Proto: "tcp"}}},
		{"[::1]:8080:80", []Mapping{{HostIP: v6, HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}},
		{"[::1]::80/udp", []Mapping{{HostIP: v6, ContainerPort: 80, Proto: "udp"}}},
		{"[::ffff:127.0.0.1]:1:2", []Mapping{{HostIP: v4, HostPort: 1, ContainerPort: 2, Proto: "tcp"}}},
		{"8000-8002:9000-9002", []Mapping{
			{HostPort: 8000, ContainerPort: 9000, Proto: "tcp"},
			{HostPort: 8001, ContainerPort: 9001, Proto: "tcp"},
			{HostPort: 8002, ContainerPort: 9002, Proto: "tcp"},
		}},
		{"7-8/udp", []Mapping{{ContainerPort: 7, Proto: "udp"}, {ContainerPort: 8, Proto: "udp"}}},
		{"65535:65535", []Mapping{{HostPort: 65535, ContainerPort: 65535, Proto: "tcp"}}},
	} {
		got, err := Parse(c.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.spec, err)
			continue
		}
		if !equal(got, c.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", c.spec, got, c.want)
		}
	}
}

func equal(a, b []Mapping) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseErrors(t *testing.T) {
	for spec, part := range map[string]string{
		"":                  "missing container port",
		"abc":               `bad container port "abc"`,
		"0":                 `bad container port "0"`,
		"65536":             `bad container port "65536"`,
		"8080:":             "missing container port",
		"x:80":              `bad host port "x"`,
		"80/sctp":           "sctp is not supported",
		"80/icmp":           `unknown protocol "icmp"`,
		"1.2.3:8080:80":     `bad host address "1.2.3"`,
		":8080:80":          "empty host address",
		"::1:8080:80":       "in brackets",
		"[::1:8080:80":      "[ADDR]:HOSTPORT:CONTAINERPORT",
		"[::1]8080:80":      "[ADDR]:HOSTPORT:CONTAINERPORT",
		"[::1]:80":          "needs HOSTPORT:CONTAINERPORT",
		"8000-8010:80":      "differ in length",
		"80:8000-8001":      "differ in length",
		"8010-8000:10-20":   "ends before it starts",
		"10-:10-11":         `bad host port ""`,
		"1.2.3.4:1:2:3":     "too many colons",
		"127.0.0.1:80:80/u": `unknown protocol "u"`,
	} {
		_, err := Parse(spec)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", spec)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, part) || !strings.Contains(msg, "accepted: ") || strings.Contains(msg, "\n") {
			t.Errorf("Parse(%q) = %q, want one line naming %q and the accepted form", spec, msg, part)
		}
	}
}

func TestExposed(t *testing.T) {
	explicit, _ := Parse("8080:80")
	got, err := Exposed([]string{"443/tcp", "80/tcp", "53/udp", "9000"}, explicit)
	if err != nil {
		t.Fatal(err)
	}
	want := []Mapping{
		{ContainerPort: 53, Proto: "udp"},
		{ContainerPort: 443, Proto: "tcp"},
		{ContainerPort: 9000, Proto: "tcp"},
	}
	if !equal(got, want) {
		t.Errorf("Exposed = %+v, want %+v (80/tcp is published explicitly)", got, want)
	}
	if _, err := Exposed([]string{"1.2.3.4:80:80"}, nil); err == nil {
		t.Error("an exposed port with a host part was accepted")
	}
}

func TestMappingString(t *testing.T) {
	for m, want := range map[Mapping]string{
		{HostPort: 32768, ContainerPort: 80, Proto: "tcp"}:                                        "80/tcp -> 0.0.0.0:32768",
		{HostIP: netip.IPv6Unspecified(), HostPort: 8080, ContainerPort: 80, Proto: "tcp"}:        "80/tcp -> [::]:8080",
		{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 53, ContainerPort: 53, Proto: "udp"}: "53/udp -> 127.0.0.1:53",
	} {
		if got := m.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", m, got, want)
		}
	}
}
