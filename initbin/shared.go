package initbin

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// The copy into a memfd is a millisecond and a half of a container's
// start (2.4 MB of fresh shared memory), so a process makes it once:
// started early (Prefetch) it overlaps the command's own work, and a
// supervisor is handed its front command's copy while it is being made
// (Handoff, Inherit) instead of making another. A sealed memfd cannot
// change, so one copy serves every container a process starts.
var shared struct {
	once sync.Once
	f    *os.File // the memfd, sealed once ready is closed
	err  error
	// ready is closed once f is sealed (or err set); sealedW is a pipe's
	// write end closed at the same time, for a child's Inherit.
	ready            chan struct{}
	sealedR, sealedW *os.File
	fillOnce         sync.Once
}

// MinFD keeps the shared program's descriptor above those a child is
// handed (0 to 5 at most): ForkExec's dup2s would otherwise replace it
// before the child's execve resolves /proc/self/fd/N.
const MinFD = 10

// Prefetch starts making the program's copy in the background, for a
// command that will start a container soon.
func Prefetch() {
	Reserve()
	shared.fillOnce.Do(func() {
		if shared.sealedW == nil {
			return // nothing reserved, or the copy was inherited
		}
		go func() {
			if err := fill(shared.f, program); err != nil {
				shared.err = err
			}
			shared.sealedW.Close()
			close(shared.ready)
		}()
	})
}

// Reserve makes the copy's memfd without filling it yet, for a command
// that hands it to a child now (Handoff) and has a processor to spare for
// the copy only later (Prefetch).
func Reserve() {
	shared.once.Do(func() {
		shared.ready = make(chan struct{})
		if !Embedded() {
			shared.err = errNotEmbedded
			close(shared.ready)
			return
		}
		f, err := newMemfd()
		if err != nil {
			shared.err = err
			close(shared.ready)
			return
		}
		sealedR, sealedW, err := os.Pipe()
		if err != nil {
			f.Close()
			shared.err = fmt.Errorf("pipe for the init program: %w", err)
			close(shared.ready)
			return
		}
		shared.f, shared.sealedR, shared.sealedW = f, sealedR, sealedW
	})
}

// Program returns the process's sealed copy of the init program (see
// Open), made or inherited once. It stays open for the process's life:
// callers must not close it.
func Program() (*os.File, error) {
	Prefetch()
	<-shared.ready
	if shared.err != nil {
		return nil, shared.err
	}
	return shared.f, nil
}

// Handoff returns the copy as it is being made, for a child process that
// needs it only later: its descriptor, and a pipe's read end that reads
// EOF once the copy is sealed (or abandoned). The child calls Inherit
// with both. Nothing is returned when there is no copy to hand.
func Handoff() (prog, sealed *os.File, ok bool) {
	Reserve()
	if shared.f == nil {
		return nil, nil, false
	}
	return shared.f, shared.sealedR, true
}

// Inherit makes prog, handed over by the nook that started this process,
// the process's copy once sealed reads EOF: when it is then a memfd
// sealed against change of exactly the program's size. Anything else is
// closed, and Program makes its own. It must come before the first
// Prefetch or Program to count; both descriptors are taken over.
func Inherit(prog, sealed int) {
	if !Embedded() {
		unix.Close(prog)
		unix.Close(sealed)
		return
	}
	shared.once.Do(func() {
		shared.ready = make(chan struct{})
		go func() {
			adopt(prog, sealed)
			close(shared.ready)
		}()
	})
}

func adopt(prog, sealed int) {
	// Read to EOF: the parent closes its end once the copy is sealed, or
	// when it dies.
	pipe := os.NewFile(uintptr(sealed), "init-sealed")
	_, _ = io.Copy(io.Discard, pipe)
	pipe.Close()
	if !sealedCopy(prog) {
		unix.Close(prog)
		shared.f, shared.err = openHigh()
		return
	}
	shared.f, shared.err = keepHigh(prog)
	unix.Close(prog)
}

func newMemfd() (*os.File, error) {
	fd, err := unix.MemfdCreate("nook-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd for the init: %w", err)
	}
	f, err := keepHigh(fd)
	unix.Close(fd)
	return f, err
}

func openHigh() (*os.File, error) {
	f, err := Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return keepHigh(int(f.Fd()))
}

// keepHigh duplicates fd to MinFD or above, close-on-exec.
func keepHigh(fd int) (*os.File, error) {
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, MinFD)
	if err != nil {
		return nil, fmt.Errorf("move the init program's descriptor: %w", err)
	}
	return os.NewFile(uintptr(high), "nook-init"), nil
}

func sealedCopy(fd int) bool {
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	const want = unix.F_SEAL_SEAL | unix.F_SEAL_WRITE | unix.F_SEAL_GROW | unix.F_SEAL_SHRINK
	if err != nil || seals&want != want {
		return false
	}
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == int64(len(program))
}
