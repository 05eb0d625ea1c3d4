package nsagent

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// connectTimeout bounds a connect to a server whose backlog is full (its
// SYNs are dropped, not refused); the host side's client waits as long.
const connectTimeout = 10 * time.Second

// connect opens a TCP connection from `from`, which need not be an
// address of this namespace (IP_TRANSPARENT: the agent holds
// CAP_NET_ADMIN here), to `to`, marked so that the server's answers are
// routed back to it (netconf's rule) rather than out to the gateway.
// When the client's own port is still taken (an earlier connection of
// the same client in TIME_WAIT) any port of its address does.
func connect(from, to netip.AddrPort, mark uint32) (int, error) {
	fd, err := connectFrom(from, to, mark)
	if from.Port() != 0 && (errors.Is(err, unix.EADDRINUSE) || errors.Is(err, unix.EADDRNOTAVAIL)) {
		fd, err = connectFrom(netip.AddrPortFrom(from.Addr(), 0), to, mark)
	}
	if err != nil {
		return -1, fmt.Errorf("connect to %s from %s: %w", to, from, err)
	}
	return fd, nil
}

func connectFrom(from, to netip.AddrPort, mark uint32) (int, error) {
	family, level, opt := unix.AF_INET, unix.SOL_IP, unix.IP_TRANSPARENT
	if to.Addr().Is6() {
		family, level, opt = unix.AF_INET6, unix.SOL_IPV6, unix.IPV6_TRANSPARENT
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := prepare(fd, level, opt, mark); err != nil {
		closeFD(fd)
		return -1, err
	}
	if err := unix.Bind(fd, sockaddr(from)); err != nil {
		closeFD(fd)
		return -1, err
	}
	for {
		err = unix.Connect(fd, sockaddr(to))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		closeFD(fd)
		return -1, err
	}
	return fd, nil
}

func prepare(fd, level, opt int, mark uint32) error {
	if err := unix.SetsockoptInt(fd, level, opt, 1); err != nil {
		return fmt.Errorf("set transparent: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(mark)); err != nil {
		return fmt.Errorf("set mark: %w", err)
	}
	// On Linux the send timeout also bounds connect.
	tv := unix.NsecToTimeval(connectTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		return fmt.Errorf("set connect timeout: %w", err)
	}
	return nil
}

func sockaddr(a netip.AddrPort) unix.Sockaddr {
	if a.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

func closeFD(fd int) { _ = unix.Close(fd) }
