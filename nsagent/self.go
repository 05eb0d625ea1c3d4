package nsagent

import (
	"fmt"
	"io"

	"golang.org/x/sys/unix"
	"nook/initbin"
)

// program is the agent's own executable, which exec helpers run (as
// nsinit.ExecArg). A helper runs among the container's processes, as
// their root, before its execve: what /proc/PID/exe shows them must be
// an anonymous, sealed file, never the user's nook binary (which the
// container's root, being that user, could otherwise write: the
// CVE-2019-5736 class). A nook with the init program embedded runs the
// agent from such a memfd already; any other is copied into one, once,
// at the first exec.
type program struct {
	fd     int // the executable as opened at the agent's start
	sealFD int // a sealed memfd of it, -1 until the first exec
}

// minFD keeps the program's descriptors above those a child is handed
// (0-3): ForkExec's dups would otherwise replace them before the
// child's execve resolves /proc/self/fd/N.
const minFD = 10

func openSelf() (*program, error) {
	fd, err := unix.Open("/proc/self/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("agent: open own program: %w", err)
	}
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, minFD)
	unix.Close(fd)
	if err != nil {
		return nil, fmt.Errorf("agent: move own program's descriptor: %w", err)
	}
	p := &program{fd: high, sealFD: -1}
	if isSealed(high) {
		p.sealFD = high
	}
	return p, nil
}

// sealed is the path a child (in the container's PID namespace, with the
// container's /proc) executes the program by. Only the cloner's thread
// calls it.
func (p *program) sealed() (string, error) {
	if p.sealFD < 0 {
		m, err := initbin.SealedFrom(&fdReader{fd: p.fd})
		if err != nil {
			return "", fmt.Errorf("agent: %w", err)
		}
		high, err := unix.FcntlInt(m.Fd(), unix.F_DUPFD_CLOEXEC, minFD)
		m.Close()
		if err != nil {
			return "", fmt.Errorf("agent: move the sealed program's descriptor: %w", err)
		}
		p.sealFD = high
		unix.Close(p.fd)
	}
	return fmt.Sprintf("/proc/self/fd/%d", p.sealFD), nil
}

// isSealed: a memfd that can no longer be written, grown or shrunk.
func isSealed(fd int) bool {
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	const want = unix.F_SEAL_WRITE | unix.F_SEAL_GROW | unix.F_SEAL_SHRINK
	return err == nil && seals&want == want
}

// fdReader reads a descriptor from its start, leaving it open (an
// os.File would close it when collected).
type fdReader struct {
	fd  int
	off int64
}

func (r *fdReader) Read(b []byte) (int, error) {
	n, err := unix.Pread(r.fd, b, r.off)
	if err != nil {
		return 0, err
	}
	if n == 0 && len(b) > 0 {
		return 0, io.EOF
	}
	r.off += int64(n)
	return n, nil
}
