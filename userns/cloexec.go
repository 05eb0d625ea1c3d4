package userns

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// closeExtraFDsOnExec sets FD_CLOEXEC on every descriptor above stderr.
//
// os/exec passes only 0, 1, 2 and ExtraFiles on purpose, but a descriptor
// opened without O_CLOEXEC (one nook inherited from its own parent, or one
// made with a raw syscall) would still reach the setuid helper. Go has no
// hook between fork and exec to close them in the child, so the flag is set
// here, process-wide. That is safe in a Go program: every way Go hands a
// descriptor to a child (ExtraFiles, SysProcAttr.Files) dup2s it in the
// child, which clears the flag on the copy.
func closeExtraFDsOnExec() error {
	// One system call on Linux >= 5.11; the /proc walk covers older kernels
	// and seccomp profiles that refuse close_range.
	if unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC) == nil {
		return nil
	}
	return cloexecFromProc(3)
}

// cloexecFromProc sets FD_CLOEXEC on each descriptor >= first listed in
// /proc/self/fd.
func cloexecFromProc(first int) error {
	const dir = "/proc/self/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < first {
			continue
		}
		// The directory's own descriptor is in the listing and already
		// closed; fcntl on it fails harmlessly.
		syscall.CloseOnExec(fd)
	}
	return nil
}
