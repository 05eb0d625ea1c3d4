//go:build linux

// Package seccomp builds and installs nook's seccomp-bpf filter: a short,
// auditable deny-list modelled on Docker's default profile, assembled in pure
// Go and installed on the calling thread just before execve.
//
// It runs inside the container's namespaces, so it imports only the standard
// library, golang.org/x/sys/unix and nook/caps.
package seccomp

import (
	"golang.org/x/sys/unix"

	"nook/caps"
)

// Policy is what the filter refuses, as plain data: easy to print with
// --debug, to relax, and to test without installing anything. Syscall numbers
// are the native architecture's.
type Policy struct {
	// Deny fails these syscalls with EPERM.
	Deny []uint32
	// NoSys fails these with ENOSYS, which libc reads as "this kernel lacks
	// the call" and falls back to an older one the filter can inspect:
	// clone3 takes its flags through a pointer, clone in a register.
	NoSys []uint32
	// CloneFlags fails clone(2) with EPERM when its flags argument has any
	// of these bits. Zero means clone is not inspected.
	CloneFlags uint32
}

// namespaceFlags are the clone flags that create namespaces. A new user
// namespace hands the container a fresh full set of capabilities over
// kernel code that was never meant for unprivileged users, which is the
// attack surface the deny-list exists to close. CLONE_NEWTIME is absent
// because clone(2) cannot take it (it shares bits with the exit signal).
const namespaceFlags = unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID |
	unix.CLONE_NEWNET | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWCGROUP

// rule denies one syscall unless the container holds a capability in
// liftedBy, the way Docker's profile allows a call once --cap-add grants the
// capability the kernel checks for it. The kernel still performs that check;
// the filter only removes code paths nobody in the container may use.
type rule struct {
	nr       int // the native number, or absent
	liftedBy caps.Set
}

const (
	never       caps.Set = 0
	sysAdmin             = 1 << unix.CAP_SYS_ADMIN
	sysModule            = 1 << unix.CAP_SYS_MODULE
	sysBoot              = 1 << unix.CAP_SYS_BOOT
	sysTime              = 1 << unix.CAP_SYS_TIME
	sysPacct             = 1 << unix.CAP_SYS_PACCT
	sysRawio             = 1 << unix.CAP_SYS_RAWIO
	syslogCap            = 1 << unix.CAP_SYSLOG
	dacReadSrch          = 1 << unix.CAP_DAC_READ_SEARCH
	bpfCap               = 1 << unix.CAP_BPF
	perfmon              = 1 << unix.CAP_PERFMON
)

// rules is the deny-list. Constants only, so it costs nothing at start-up.
// adjtimex and clock_adjtime are not here: Docker allows them since 2020
// (moby#33403, moby#40929) because reading the clock through them is common
// and setting it needs CAP_SYS_TIME in the initial user namespace, which a
// rootless container never has.
var rules = [...]rule{
	// Replace or extend the running kernel.
	{sysKexecLoad, never},
	{sysKexecFileLoad, never},
	{sysInitModule, sysModule},
	{sysFinitModule, sysModule},
	{sysDeleteModule, sysModule},
	{sysCreateModule, sysModule},
	{sysBPF, sysAdmin | bpfCap},
	{sysPerfEventOpen, sysAdmin | perfmon},

	// Keyrings are not namespaced: a container could read or fill the
	// host user's keys.
	{sysKeyctl, never},
	{sysAddKey, never},
	{sysRequestKey, never},

	// Frequent helpers of kernel exploits (stalling the kernel mid-copy).
	{sysUserfaultfd, never},

	// Reach around the mount namespace to host files by handle.
	{sysOpenByHandleAt, dacReadSrch},
	{sysNameToHandleAt, sysAdmin},

	// Host-wide state that no namespace isolates.
	{sysAcct, sysPacct},
	{sysSwapon, sysAdmin},
	{sysSwapoff, sysAdmin},
	{sysReboot, sysBoot},
	{sysSyslog, syslogCap},
	{sysSettimeofday, sysTime},
	{sysClockSettime, sysTime},
	{sysQuotactl, sysAdmin},
	{sysQuotactlFd, sysAdmin},
	{sysLookupDcookie, sysAdmin},
	{sysNfsservctl, never},

	// Legacy or hardware access.
	{sysIopl, sysRawio},
	{sysIoperm, sysRawio},
	{sysUselib, never},
	{sysVM86, never},
	{sysVM86old, never},

	// Rearranging mounts and namespaces, old and new mount API alike.
	{sysPivotRoot, sysAdmin},
	{sysMount, sysAdmin},
	{sysUmount2, sysAdmin},
	{sysFsopen, sysAdmin},
	{sysFsmount, sysAdmin},
	{sysFsconfig, sysAdmin},
	{sysFspick, sysAdmin},
	{sysMoveMount, sysAdmin},
	{sysOpenTree, sysAdmin},
	{sysOpenTreeAttr, sysAdmin},
	{sysMountSetattr, sysAdmin},
	{sysSetns, sysAdmin},
	{sysUnshare, sysAdmin},
}

// absent marks a syscall the architecture does not have.
const absent = -1

// number converts a table entry at run time, so that a table full of absent
// entries (an architecture nook has no numbers for) still compiles.
func number(nr int) uint32 { return uint32(nr) }

// DefaultPolicy returns the deny-list for a container holding the
// capabilities granted (its bounding set): each call that a granted
// capability makes legitimate is left out, as Docker does for --cap-add.
// With CAP_SYS_ADMIN, namespaces may be created by clone and clone3 too.
func DefaultPolicy(granted caps.Set) Policy {
	p := Policy{Deny: make([]uint32, 0, len(rules))}
	for _, r := range rules {
		if r.nr == absent || granted&r.liftedBy != 0 {
			continue
		}
		p.Deny = append(p.Deny, number(r.nr))
	}
	if !granted.Has(unix.CAP_SYS_ADMIN) && sysClone != absent {
		p.NoSys = []uint32{number(sysClone3)}
		p.CloneFlags = namespaceFlags
	}
	return p
}
