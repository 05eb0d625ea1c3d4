package listing

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// FormatPorts is the PORTS column as Docker prints it:
// "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp", "3300-3310/tcp". Ports
// published on the same port number they expose, and exposed-only ports,
// are merged into ranges per address and protocol; the other mappings
// follow one by one. The order is Docker's: by container port, address,
// host port, protocol, each range where its address first appeared.
func FormatPorts(ports []Port) string {
	var out, remapped []string
	runs := map[runKey]*portRun{}
	var order []runKey
	for _, p := range displayPorts(ports) {
		if p.HostPort != 0 && p.HostPort != p.ContainerPort {
			host := net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort)))
			remapped = append(remapped, fmt.Sprintf("%s->%d/%s", host, p.ContainerPort, p.Proto))
			continue
		}
		k := runKey{p.HostIP, p.Proto}
		r := runs[k]
		switch {
		case r == nil:
			runs[k] = &portRun{k, p.ContainerPort, p.ContainerPort}
			order = append(order, k)
		case p.ContainerPort == r.last+1:
			r.last++
		default:
			// A gap: the finished run goes out now, ahead of runs still
			// growing, as Docker's does.
			out = append(out, r.String())
			r.first, r.last = p.ContainerPort, p.ContainerPort
		}
	}
	for _, k := range order {
		out = append(out, runs[k].String())
	}
	return strings.Join(append(out, remapped...), ", ")
}

type runKey struct{ ip, proto string }

// portRun is consecutive container ports under one key, published on the
// same numbers (ip set) or exposed only.
type portRun struct {
	key         runKey
	first, last uint16
}

func (r portRun) String() string {
	ports := strconv.Itoa(int(r.first))
	if r.last != r.first {
		ports += "-" + strconv.Itoa(int(r.last))
	}
	if r.key.ip != "" {
		ports = net.JoinHostPort(r.key.ip, ports) + "->" + ports
	}
	return ports + "/" + r.key.proto
}

// displayPorts are ports as Docker's API would list them: the dual-stack
// wildcard as the two bindings 0.0.0.0 and ::, addresses in canonical
// form, duplicates dropped (a record may list both forms), sorted.
func displayPorts(ports []Port) []Port {
	var out []Port
	for _, p := range ports {
		switch {
		case p.HostPort == 0:
			p.HostIP = ""
			out = append(out, p)
		case p.HostIP == "":
			v4, v6 := p, p
			v4.HostIP, v6.HostIP = "0.0.0.0", "::"
			out = append(out, v4, v6)
		default:
			if a, err := netip.ParseAddr(p.HostIP); err == nil {
				p.HostIP = a.String()
			}
			out = append(out, p)
		}
	}
	slices.SortFunc(out, comparePorts)
	return slices.Compact(out)
}

func comparePorts(a, b Port) int {
	return cmp.Or(cmp.Compare(a.ContainerPort, b.ContainerPort), strings.Compare(a.HostIP, b.HostIP),
		cmp.Compare(a.HostPort, b.HostPort), strings.Compare(a.Proto, b.Proto))
}
