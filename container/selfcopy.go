package container

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
	"nook/initbin"
)

// sealedSelf copies the running binary into a sealed memfd for --init.
// The reaper stays PID 1 of the container for its whole life, and with
// CAP_SYS_PTRACE (--cap-add) the container could open /proc/1/exe: it must
// find an anonymous, unwritable copy there, never the user's own nook binary
// (the CVE-2019-5736 class). Without --init no nook code outlives execve,
// so the copy is only paid for here.
func sealedSelf() (*os.File, error) {
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open own binary: %w", err)
	}
	defer self.Close()
	return initbin.SealedFrom(self)
}

// closeInherited marks every descriptor nook inherited beyond 0, 1 and 2
// close-on-exec, so that none reaches the init (the command never saw them
// anyway: the init closes them before execve) or the id-map helpers.
func closeInherited() {
	_ = unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
}

// initExecutable is what the init is executed from: the embedded init
// program in a sealed memfd (initbin's copy, shared by every container
// this process starts), or else nook itself — a sealed copy of it for
// --init, whose reaper outlives execve. A memfd is named by its
// /proc/self/fd path, which the child resolves at execve while the
// descriptor is still open (it is closed on exec); the caller closes the
// file it returns, if any, after the clone.
func (r *Run) initExecutable() (string, *os.File, error) {
	switch {
	case initbin.Embedded():
		f, err := initbin.Program()
		if err != nil {
			return "", nil, err
		}
		return fmt.Sprintf("/proc/self/fd/%d", f.Fd()), nil, nil
	case r.Config.Init:
		f, err := sealedSelf()
		if err != nil {
			return "", nil, err
		}
		return fmt.Sprintf("/proc/self/fd/%d", f.Fd()), f, nil
	default:
		return "/proc/self/exe", nil, nil
	}
}
