package listing_test

import (
	"testing"

	"nook/listing"
)

func TestFormatPorts(t *testing.T) {
	tcp := func(ip string, host, ctr uint16) listing.Port {
		return listing.Port{HostIP: ip, HostPort: host, ContainerPort: ctr, Proto: "tcp"}
	}
	for _, tc := range []struct {
		name  string
		ports []listing.Port
		want  string
	}{
		{"none", nil, ""},
		{"dual-stack wildcard", []listing.Port{tcp("", 8080, 80)}, "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"},
		{"both families recorded", []listing.Port{tcp("::", 8080, 80), tcp("0.0.0.0", 8080, 80)},
			"0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"},
		{"wildcard and its halves", []listing.Port{tcp("", 8080, 80), tcp("0.0.0.0", 8080, 80), tcp("0:0::0", 8080, 80)},
			"0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"},
		{"one address", []listing.Port{tcp("127.0.0.1", 5000, 5000)}, "127.0.0.1:5000->5000/tcp"},
		{"ipv6 address", []listing.Port{tcp("::1", 8080, 80)}, "[::1]:8080->80/tcp"},
		{"range", rangePorts("0.0.0.0", 8000, 8010, "tcp"), "0.0.0.0:8000-8010->8000-8010/tcp"},
		{"dual-stack range", rangePorts("", 8000, 8002, "tcp"),
			"0.0.0.0:8000-8002->8000-8002/tcp, [::]:8000-8002->8000-8002/tcp"},
		{"exposed range", []listing.Port{{ContainerPort: 101, Proto: "tcp"}, {ContainerPort: 100, Proto: "tcp"},
			{ContainerPort: 102, Proto: "tcp"}}, "100-102/tcp"},
		{"protocols apart", []listing.Port{{ContainerPort: 53, Proto: "udp"}, {ContainerPort: 53, Proto: "tcp"},
			{ContainerPort: 54, Proto: "udp"}}, "53/tcp, 53-54/udp"},
		// Docker ranges only ports published on their own number; the others
		// are listed one by one after the ranges.
		{"remapped range", []listing.Port{tcp("0.0.0.0", 9001, 8001), tcp("0.0.0.0", 9000, 8000), tcp("0.0.0.0", 80, 80)},
			"0.0.0.0:80->80/tcp, 0.0.0.0:9000->8000/tcp, 0.0.0.0:9001->8001/tcp"},
		// A gap ends a run at once, ahead of runs still open: Docker's order.
		{"gap", []listing.Port{tcp("1.1.1.1", 80, 80), tcp("1.1.1.1", 81, 81), tcp("2.2.2.2", 90, 90), tcp("1.1.1.1", 100, 100)},
			"1.1.1.1:80-81->80-81/tcp, 1.1.1.1:100->100/tcp, 2.2.2.2:90->90/tcp"},
		{"exposed and published", []listing.Port{tcp("", 8080, 80), {ContainerPort: 443, Proto: "tcp"}},
			"443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"},
	} {
		if got := listing.FormatPorts(tc.ports); got != tc.want {
			t.Errorf("%s: FormatPorts = %q, want %q", tc.name, got, tc.want)
		}
	}
}
