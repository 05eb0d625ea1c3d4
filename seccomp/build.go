//go:build linux

package seccomp

import (
	"fmt"
	"runtime"
	"slices"

	"golang.org/x/sys/unix"
)

// Offsets into struct seccomp_data, the input of every filter.
const (
	offNr   = 0
	offArch = 4
	// args[0] is 64 bits at offset 16; its low half comes first on the
	// little-endian architectures that have tables (amd64, arm64). clone(2)
	// reads only the low 32 bits of its flags, so that half is enough.
	offArg0Low = 16
)

// Assemble compiles p into a classic BPF program for seccomp: check the
// architecture word, refuse the x32 ABI, then compare the syscall number
// against each denied one in turn.
//
// Every comparison is "JEQ nr, 0, 1" followed by its own RET, so no jump
// spans more than a few instructions and no offset can overflow BPF's 8-bit
// jt/jf fields however long the list grows.
func (p Policy) Assemble() ([]unix.SockFilter, error) {
	if auditArch == 0 {
		return nil, fmt.Errorf("assemble seccomp filter: nook has no syscall table for %s", runtime.GOARCH)
	}
	deny := sortedUnique(p.Deny)
	nosys := sortedUnique(p.NoSys)
	prog := make([]unix.SockFilter, 0, 12+2*(len(deny)+len(nosys)))

	prog = append(prog,
		load(offArch),
		// A foreign architecture word means a second syscall ABI (i386
		// on x86_64, arm32 on arm64) whose numbers this program does not
		// describe; nothing sane is left to do but kill.
		jeq(auditArch, 1, 0),
		ret(unix.SECCOMP_RET_KILL_PROCESS),
		load(offNr),
	)
	if x32Bit != 0 {
		prog = append(prog,
			jset(x32Bit, 0, 1),
			ret(errno(unix.EPERM)),
		)
	}
	for _, nr := range deny {
		prog = append(prog, jeq(nr, 0, 1), ret(errno(unix.EPERM)))
	}
	for _, nr := range nosys {
		prog = append(prog, jeq(nr, 0, 1), ret(errno(unix.ENOSYS)))
	}
	if p.CloneFlags != 0 {
		// Last, because it replaces the syscall number in the accumulator.
		prog = append(prog,
			jeq(number(sysClone), 0, 3),
			load(offArg0Low),
			jset(p.CloneFlags, 0, 1),
			ret(errno(unix.EPERM)),
		)
	}
	prog = append(prog, ret(unix.SECCOMP_RET_ALLOW))

	if len(prog) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("assemble seccomp filter: %d instructions, the kernel takes at most %d", len(prog), unix.BPF_MAXINSNS)
	}
	return prog, nil
}

// sortedUnique copies nrs, so that the program is the same whatever order or
// repetitions the caller's lists have.
func sortedUnique(nrs []uint32) []uint32 {
	return slices.Compact(slices.Sorted(slices.Values(nrs)))
}

func load(off uint32) unix.SockFilter {
	return unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off}
}

func jeq(k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: jt, Jf: jf, K: k}
}

func jset(k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, Jt: jt, Jf: jf, K: k}
}

func ret(k uint32) unix.SockFilter {
	return unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: k}
}

func errno(e unix.Errno) uint32 {
	return unix.SECCOMP_RET_ERRNO | uint32(e)&unix.SECCOMP_RET_DATA
}
