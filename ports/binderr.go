package ports

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// bindError says in one line why m's host socket could not be bound and
// what to do instead.
func bindError(m Mapping, err error) error {
	port := fmt.Sprintf("host port %d/%s", m.HostPort, m.Proto)
	if m.HostIP.IsValid() {
		port = fmt.Sprintf("host port %s/%s", m.HostAddr(), m.Proto)
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s is already in use (by another program): choose another with -p HOSTPORT:%d", port, m.ContainerPort)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s is privileged (below net.ipv4.ip_unprivileged_port_start=%s): choose a higher one, e.g. -p 8080:%d", port, unprivilegedStart(), m.ContainerPort)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%s: %s is not an address of this host: publish on one of its addresses, or leave HOSTIP out for all of them", port, m.HostIP)
	}
	return fmt.Errorf("bind %s: %w", port, err)
}

func unprivilegedStart() string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return "1024"
	}
	return strings.TrimSpace(string(b))
}
