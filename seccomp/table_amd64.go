//go:build linux

package seccomp

import "golang.org/x/sys/unix"

// The native syscall ABI of x86_64. The i386 ABI (int 0x80) reports
// AUDIT_ARCH_I386 and is killed by the architecture check, so its numbers
// (vm86, vm86old, stime, ...) need no entry.
const (
	auditArch = unix.AUDIT_ARCH_X86_64
	// x32Bit marks the x32 ABI, which shares AUDIT_ARCH_X86_64 but numbers
	// its calls differently (__X32_SYSCALL_BIT).
	x32Bit = 0x40000000

	sysClone  = unix.SYS_CLONE
	sysClone3 = unix.SYS_CLONE3

	sysAcct           = unix.SYS_ACCT
	sysAddKey         = unix.SYS_ADD_KEY
	sysBPF            = unix.SYS_BPF
	sysClockSettime   = unix.SYS_CLOCK_SETTIME
	sysCreateModule   = unix.SYS_CREATE_MODULE
	sysDeleteModule   = unix.SYS_DELETE_MODULE
	sysFinitModule    = unix.SYS_FINIT_MODULE
	sysFsconfig       = unix.SYS_FSCONFIG
	sysFsmount        = unix.SYS_FSMOUNT
	sysFsopen         = unix.SYS_FSOPEN
	sysFspick         = unix.SYS_FSPICK
	sysInitModule     = unix.SYS_INIT_MODULE
	sysIoperm         = unix.SYS_IOPERM
	sysIopl           = unix.SYS_IOPL
	sysKexecFileLoad  = unix.SYS_KEXEC_FILE_LOAD
	sysKexecLoad      = unix.SYS_KEXEC_LOAD
	sysKeyctl         = unix.SYS_KEYCTL
	sysLookupDcookie  = unix.SYS_LOOKUP_DCOOKIE
	sysMount          = unix.SYS_MOUNT
	sysMountSetattr   = unix.SYS_MOUNT_SETATTR
	sysMoveMount      = unix.SYS_MOVE_MOUNT
	sysNameToHandleAt = unix.SYS_NAME_TO_HANDLE_AT
	sysNfsservctl     = unix.SYS_NFSSERVCTL
	sysOpenByHandleAt = unix.SYS_OPEN_BY_HANDLE_AT
	sysOpenTree       = unix.SYS_OPEN_TREE
	sysOpenTreeAttr   = unix.SYS_OPEN_TREE_ATTR
	sysPerfEventOpen  = unix.SYS_PERF_EVENT_OPEN
	sysPivotRoot      = unix.SYS_PIVOT_ROOT
	sysQuotactl       = unix.SYS_QUOTACTL
	sysQuotactlFd     = unix.SYS_QUOTACTL_FD
	sysReboot         = unix.SYS_REBOOT
	sysRequestKey     = unix.SYS_REQUEST_KEY
	sysSetns          = unix.SYS_SETNS
	sysSettimeofday   = unix.SYS_SETTIMEOFDAY
	sysSwapoff        = unix.SYS_SWAPOFF
	sysSwapon         = unix.SYS_SWAPON
	sysSyslog         = unix.SYS_SYSLOG
	sysUmount2        = unix.SYS_UMOUNT2
	sysUnshare        = unix.SYS_UNSHARE
	sysUselib         = unix.SYS_USELIB
	sysUserfaultfd    = unix.SYS_USERFAULTFD
	sysVM86           = absent // i386 only
	sysVM86old        = absent // i386 only
)
