//go:build linux

package seccomp

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// seccompData mirrors struct seccomp_data, the buffer a filter reads.
type seccompData struct {
	nr   int32
	arch uint32
	ip   uint64
	args [6]uint64
}

func (d seccompData) bytes() []byte {
	b := make([]byte, 0, 64)
	e := binary.NativeEndian
	b = e.AppendUint32(b, uint32(d.nr))
	b = e.AppendUint32(b, d.arch)
	b = e.AppendUint64(b, d.ip)
	for _, a := range d.args {
		b = e.AppendUint64(b, a)
	}
	return b
}

// runBPF interprets the few classic BPF instructions Assemble emits, with
// the kernel's rules: loads are aligned 32-bit words inside seccomp_data,
// jumps go forward only, and running off the end is an invalid program.
// Anything else is an error, so a new opcode in Assemble cannot pass
// unnoticed.
func runBPF(prog []unix.SockFilter, d seccompData) (uint32, error) {
	buf := d.bytes()
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K%4 != 0 || int(in.K)+4 > len(buf) {
				return 0, fmt.Errorf("pc %d: load at offset %d", pc, in.K)
			}
			acc = binary.NativeEndian.Uint32(buf[in.K:])
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += int(pick(acc == in.K, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			pc += int(pick(acc&in.K != 0, in.Jt, in.Jf))
		case unix.BPF_RET | unix.BPF_K:
			return in.K, nil
		default:
			return 0, fmt.Errorf("pc %d: opcode %#x not expected from Assemble", pc, in.Code)
		}
		if pc+1 >= len(prog) {
			return 0, fmt.Errorf("pc %d: jump past the end of a %d-instruction program", pc, len(prog))
		}
	}
	return 0, fmt.Errorf("program of %d instructions has no final return", len(prog))
}

func pick(cond bool, jt, jf uint8) uint8 {
	if cond {
		return jt
	}
	return jf
}
