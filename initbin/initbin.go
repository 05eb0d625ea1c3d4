// Package initbin holds the init program — nook's container side alone
// (package nsinit and what it imports), built as a binary of its own by
// `just build` and embedded in nook with the build tag nookinit.
//
// Every Go package linked into a binary runs its initialization on every
// start of it. nook links a registry client, a TLS stack, a user-mode
// TCP/IP stack and a CLI parser; the init needs none of them, yet as a
// re-execution of nook it paid for all of them: 4.1 ms to start here,
// against 1.4 ms for the init program alone (2.3 MB instead of 15 MB, 201
// page faults instead of 602). A nook built without the tag (plain `go
// build`) re-executes itself instead, and works the same, only slower.
package initbin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Embedded reports whether this nook carries the init program.
func Embedded() bool { return len(program) > 0 }

var errNotEmbedded = errors.New("this nook was built without the init program (just build embeds it)")

// Open returns the init program as a sealed, anonymous memfd to execute
// through /proc/self/fd: no file the container could ever reach, and no
// way to change it once sealed (the CVE-2019-5736 class: in rootless mode
// the container's root is the user who owns nook's files). The caller
// closes it.
func Open() (*os.File, error) {
	if !Embedded() {
		return nil, errNotEmbedded
	}
	return Sealed(program)
}

// Sealed copies b into a memfd and seals it against every change.
func Sealed(b []byte) (*os.File, error) { return SealedFrom(bytes.NewReader(b)) }

// SealedFrom copies r into a memfd and seals it against every change.
func SealedFrom(r io.Reader) (*os.File, error) {
	fd, err := unix.MemfdCreate("nook-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd for the init: %w", err)
	}
	f := os.NewFile(uintptr(fd), "nook-init")
	if err := fillFrom(f, r); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func fill(f *os.File, b []byte) error { return fillFrom(f, bytes.NewReader(b)) }

// fillFrom copies r into the memfd f and seals it.
func fillFrom(f *os.File, r io.Reader) error {
	if _, err := io.Copy(f, r); err != nil {
		return fmt.Errorf("copy the init program: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		return fmt.Errorf("seal the init program: %w", err)
	}
	return nil
}
