package netconf

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// The way out when the host cannot give a container a network at all.
const noNetwork = "or run with --network none"

// openError names the fix for a /dev/net/tun the init cannot open. The
// open is made as root of the container's user namespace, which owns
// nothing on the host: only the "other" permission bits count.
func openError(err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return fmt.Errorf("network: /dev/net/tun does not exist: load the tun module (sudo modprobe tun) or create the device (sudo mknod -m 0666 /dev/net/tun c 10 200), %s", noNetwork)
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return fmt.Errorf("network: /dev/net/tun: no such device: load the tun module (sudo modprobe tun), %s", noNetwork)
	case errors.Is(err, unix.EACCES):
		return fmt.Errorf("network: cannot open /dev/net/tun: permission denied: sudo chmod 0666 /dev/net/tun, as distributions ship it, %s", noNetwork)
	case errors.Is(err, unix.EPERM):
		// EPERM, unlike EACCES, comes from a device cgroup, not the mode.
		return fmt.Errorf("network: cannot open /dev/net/tun: operation not permitted by a device cgroup: in a container, run it with --device /dev/net/tun, %s", noNetwork)
	}
	return fmt.Errorf("network: open /dev/net/tun: %v: check it is the tun character device (10, 200), %s", err, noNetwork)
}

// tapError explains the kernel refusing TUNSETIFF.
func tapError(name string, err error) error {
	why := ""
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		why = " (a security module such as SELinux, or a seccomp filter of an enclosing container, forbids it)"
	case errors.Is(err, unix.EINVAL):
		why = " (the kernel lacks TAP support, CONFIG_TUN)"
	}
	return fmt.Errorf("network: the kernel refused to create the TAP device %s: %v%s: run with --network host or --network none", name, err, why)
}
