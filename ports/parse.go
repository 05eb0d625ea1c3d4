package ports

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// form is the accepted notation, quoted by every parse error.
const form = "[HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], e.g. 8080:80, 127.0.0.1:8080:80/udp, [::1]::80, 8000-8010:8000-8010"

// Parse reads one -p/--publish value in Docker's notation. A range yields
// one mapping per port; a missing HOSTPORT means a random one.
func Parse(spec string) ([]Mapping, error) {
	ms, err := parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid -p %q: %v (accepted: %s)", spec, err, form)
	}
	return ms, nil
}

func parse(spec string) ([]Mapping, error) {
	rest, proto, err := splitProto(spec)
	if err != nil {
		return nil, err
	}
	ip, host, ctr, err := splitParts(rest)
	if err != nil {
		return nil, err
	}
	addr, err := parseIP(ip)
	if err != nil {
		return nil, err
	}
	return expand(addr, host, ctr, proto)
}

func splitProto(spec string) (rest, proto string, err error) {
	rest, proto, found := strings.Cut(spec, "/")
	if !found {
		return spec, "tcp", nil
	}
	switch p := strings.ToLower(proto); p {
	case "tcp", "udp":
		return rest, p, nil
	case "sctp":
		return "", "", fmt.Errorf("protocol sctp is not supported")
	}
	return "", "", fmt.Errorf("unknown protocol %q", proto)
}

// splitParts separates HOSTIP, HOSTPORT and CONTAINERPORT; an IPv6 HOSTIP
// is bracketed, since its colons would be ambiguous otherwise.
func splitParts(s string) (ip, host, ctr string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return "", "", "", fmt.Errorf("an IPv6 host address is written [ADDR]:HOSTPORT:CONTAINERPORT")
		}
		host, ctr, ok := strings.Cut(s[end+2:], ":")
		if !ok {
			return "", "", "", fmt.Errorf("a host address needs HOSTPORT:CONTAINERPORT after it (HOSTPORT may be empty)")
		}
		return s[1:end], host, ctr, nil
	}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		return "", "", parts[0], nil
	case 2:
		return "", parts[0], parts[1], nil
	case 3:
		if parts[0] == "" {
			return "", "", "", fmt.Errorf("empty host address")
		}
		return parts[0], parts[1], parts[2], nil
	}
	return "", "", "", fmt.Errorf("too many colons (write an IPv6 host address in brackets: [::1]:8080:80)")
}

func parseIP(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("bad host address %q", s)
	}
	return a.Unmap(), nil
}

func expand(ip netip.Addr, host, ctr, proto string) ([]Mapping, error) {
	clo, chi, err := parseRange(ctr, "container port")
	if err != nil {
		return nil, err
	}
	n := int(chi - clo)
	var hlo uint16
	if host != "" {
		var hhi uint16
		if hlo, hhi, err = parseRange(host, "host port"); err != nil {
			return nil, err
		}
		if int(hhi-hlo) != n {
			return nil, fmt.Errorf("host range %s and container range %s differ in length", host, ctr)
		}
	}
	ms := make([]Mapping, 0, n+1)
	for i := 0; i <= n; i++ {
		m := Mapping{HostIP: ip, ContainerPort: clo + uint16(i), Proto: proto}
		if hlo != 0 {
			m.HostPort = hlo + uint16(i)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// parseRange reads PORT or LOW-HIGH.
func parseRange(s, what string) (lo, hi uint16, err error) {
	if s == "" {
		return 0, 0, fmt.Errorf("missing %s", what)
	}
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = parsePort(a, what); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parsePort(b, what); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("%s range %s ends before it starts", what, s)
	}
	return lo, hi, nil
}

func parsePort(s, what string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad %s %q (1-65535)", what, s)
	}
	return uint16(n), nil
}
