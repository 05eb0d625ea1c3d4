package hostinfo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// tunCheck opens the TAP/TUN clone device as the container network will. The
// open is made inside the container's user namespace, where root owns nothing
// on the host, so only the "other" permission bits count: hence 0666.
func tunCheck(devRoot string) Check {
	const name = "/dev/net/tun"
	p := filepath.Join(devRoot, "net", "tun")
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return problem(name, "cannot open: "+err.Error(), tunFix(p, err))
	}
	f.Close()
	return ok(name, "ok")
}

func tunFix(p string, err error) string {
	const inContainer = "in a container: run it with --device /dev/net/tun"
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return "sudo modprobe tun (" + inContainer + ")"
	case errors.Is(err, syscall.EPERM):
		// EPERM, unlike EACCES, comes from a device cgroup: the mode is not the cause.
		return inContainer
	case errors.Is(err, syscall.EACCES):
		return "sudo chmod 0666 " + p
	}
	return "check " + p + " is the tun character device (10, 200)"
}
