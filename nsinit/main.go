// Package nsinit is the code that runs inside the container's namespaces
// before execve: it receives the config from the host side, configures the
// container's side of the network, assembles the filesystem, sets the
// hostname, user, capabilities and filters, and replaces itself with the
// user's command. It imports little (the standard library, x/sys/unix,
// runtime-spec and nook's mount, id-map, capability and network-setup
// code) so that it can be audited on its own.
package nsinit

import (
	"errors"
	"fmt"
	"io"
	"os"

	"nook/messages"
)

// Arg is the hidden first argument that makes the binary run as the init.
const Arg = "__nook_init"

// syncFD is where the host side puts its end of the message socket.
const syncFD = 3

// Exit statuses, as Docker's.
const (
	codeFailed     = 125
	codeCannotExec = 126
	codeNotFound   = 127
)

// codeError carries the exit status nook should report for a failure.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

func withCode(code int, format string, args ...any) error {
	return &codeError{code: code, err: fmt.Errorf(format, args...)}
}

// Main never returns: it execs the command or exits with a status.
func Main() {
	defer func() {
		if r := recover(); r != nil {
			fail(fmt.Errorf("internal error in the init: %v", r))
		}
	}()
	m, _, err := messages.Recv(syncFD)
	var pre early
	if err == nil && m.Kind == messages.KindNetwork && m.Network != nil {
		pre = networkFirst(m.Network)
		m, _, err = messages.Recv(syncFD)
	}
	if err != nil || m.Kind != messages.KindStart || m.Config == nil {
		// The host side died before starting us: nobody to tell.
		if !errors.Is(err, io.EOF) {
			fmt.Fprintf(os.Stderr, "nook init: %v\n", err)
		}
		os.Exit(codeFailed)
	}
	err = start(m.Config, pre)
	fail(err)
}

// fail reports err to the host side, which prints it, and exits.
func fail(err error) {
	os.Exit(report(err))
}

// report sends err to the host side and returns the exit status for it.
func report(err error) int {
	code := codeFailed
	var ce *codeError
	if errors.As(err, &ce) {
		code = ce.code
	}
	if serr := messages.Send(syncFD, messages.Msg{Kind: messages.KindFailed, Error: err.Error(), Code: code}); serr != nil {
		fmt.Fprintf(os.Stderr, "nook: %v\n", err)
	}
	return code
}
