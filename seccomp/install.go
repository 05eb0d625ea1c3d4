//go:build linux

package seccomp

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Install attaches filter to the calling thread only. Without TSYNC the
// other Go threads stay unfiltered, which is what nook wants: the caller
// holds runtime.LockOSThread and execve's on this thread, and execve ends
// every other thread while the filter stays with the new program (and with
// every thread or process it creates).
//
// An unprivileged thread may install a filter only after
// prctl(PR_SET_NO_NEW_PRIVS, 1), which the caller sets first.
func Install(filter []unix.SockFilter) error {
	if len(filter) == 0 || len(filter) > unix.BPF_MAXINSNS {
		return fmt.Errorf("install seccomp filter: %d instructions, want 1 to %d", len(filter), unix.BPF_MAXINSNS)
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	// unix.Syscall rather than unix.Prctl: the pointer-to-uintptr
	// conversion is only guaranteed to keep prog alive and in place when it
	// appears in the argument list of an assembly-implemented call.
	_, _, e := unix.Syscall(unix.SYS_PRCTL, unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)))
	switch e {
	case 0:
		return nil
	case unix.EACCES:
		return fmt.Errorf("install seccomp filter: %w (no_new_privs is not set on this thread)", e)
	case unix.EINVAL:
		return fmt.Errorf("install seccomp filter: %w (kernel without seccomp filters, or a malformed program)", e)
	default:
		return fmt.Errorf("install seccomp filter: %w", e)
	}
}
