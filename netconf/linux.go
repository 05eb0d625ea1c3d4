package netconf

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// linux is the real Kernel. Its netlink socket also serves the index
// lookup: SIOCGIFINDEX works on any socket, and one socket is one
// syscall fewer.
type linux struct{ nl int }

func (k *linux) OpenTun() (int, error) {
	return unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
}

// CreateTAP asks for a TAP device without packet information (frames
// only) and without a virtio-net header: the host side's stack reads and
// writes plain Ethernet frames.
//
// The device is made persistent. A non-persistent TAP is unregistered by
// the close(2) of its last descriptor, synchronously, which waits out RCU
// grace periods: 12-35 ms here at the end of every run. A persistent one
// goes with its namespace instead, when the namespace's last process has
// exited, in the kernel's own worker, after nook has returned (a TAP
// device is deleted with its namespace, never moved to the host's).
func (k *linux) CreateTAP(fd int, name string) error {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return err
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETPERSIST, 1); err != nil {
		return fmt.Errorf("make it persistent: %w", err)
	}
	return nil
}

func (k *linux) Index(name string) (int, error) {
	s, err := k.socket()
	if err != nil {
		return 0, err
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}

func (k *linux) Request(b []byte, n int) (int, error) {
	s, err := k.socket()
	if err != nil {
		return 0, err
	}
	if err := unix.Sendto(s, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, fmt.Errorf("send: %w", err)
	}
	buf := make([]byte, 4096)
	for acked := 0; acked < n; {
		got, _, err := unix.Recvfrom(s, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("receive: %w", err)
		}
		acks, err := parseAcks(buf[:got])
		if err != nil {
			return 0, err
		}
		for _, a := range acks {
			if a.errno != 0 {
				return int(a.seq), a.errno
			}
			acked++
		}
	}
	return 0, nil
}

func (k *linux) Close(fd int) { unix.Close(fd) }

func (k *linux) socket() (int, error) {
	if k.nl >= 0 {
		return k.nl, nil
	}
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return -1, fmt.Errorf("netlink socket: %w", err)
	}
	k.nl = s
	return s, nil
}

func (k *linux) close() {
	if k.nl >= 0 {
		unix.Close(k.nl)
	}
}

func (k *linux) WriteFile(path, value string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(value))
	return err
}
