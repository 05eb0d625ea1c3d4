package container

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// sealedSelf copies the running binary into a sealed memfd for --init.
// The reaper stays PID 1 of the container for its whole life, and with
// CAP_SYS_PTRACE (--cap-add) the container could open /proc/1/exe: it must
// find an anonymous, unwritable copy there, never the user's own nook binary
// (the CVE-2019-5736 class). Without --init no nook code outlives execve,
// so the copy is only paid for here.
func sealedSelf() (*os.File, error) {
	fd, err := unix.MemfdCreate("nook-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd for the init: %w", err)
	}
	f := os.NewFile(uintptr(fd), "nook-init")
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open own binary: %w", err)
	}
	defer self.Close()
	if _, err := io.Copy(f, self); err != nil {
		f.Close()
		return nil, fmt.Errorf("copy own binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal the init's copy: %w", err)
	}
	return f, nil
}

// closeInherited marks every descriptor nook inherited beyond 0, 1 and 2
// close-on-exec, so that none reaches the init (the command never saw them
// anyway: the init closes them before execve) or the id-map helpers.
func closeInherited() {
	_ = unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
}
