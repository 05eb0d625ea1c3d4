package userns

import (
	"os"

	"golang.org/x/sys/unix"
)

// Privileged tells whether nook may create namespaces without a user
// namespace of its own (a rootful runtime): uid 0 alone is not enough, since
// the root of an enclosing container (a `nook sandbox --root`, Docker's
// default) lacks CAP_SYS_ADMIN, and only a new user namespace gives it one.
func Privileged() bool {
	if os.Getuid() != 0 {
		return false
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return true
	}
	return data[unix.CAP_SYS_ADMIN/32].Effective&(1<<(unix.CAP_SYS_ADMIN%32)) != 0
}
