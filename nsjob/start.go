package nsjob

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
	"nook/userns"
)

// Start clones the helper into the namespace ids describe and waits until
// it runs there with its id map.
func Start(ids IDs) (*Runner, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("nsjob: socketpair: %w", err)
	}
	pid, err := spawn(fds[1], ids)
	unix.Close(fds[1])
	if err != nil {
		unix.Close(fds[0])
		return nil, err
	}
	r := newRunner(fds[0], pid)
	if err := r.handOver(ids); err != nil {
		r.kill()
		return nil, err
	}
	go r.read()
	return r, nil
}

// spawn starts the helper with sock as its fd 3 and stderr as the
// caller's, where a panic of the helper can be seen.
func spawn(sock int, ids IDs) (int, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, fmt.Errorf("nsjob: %w", err)
	}
	defer null.Close()
	// The pid lets the helper tell whether its parent died before the
	// parent-death signal could reach it.
	argv := []string{"nook", Arg, strconv.Itoa(os.Getpid())}
	files := []uintptr{null.Fd(), null.Fd(), os.Stderr.Fd(), uintptr(sock)}
	pid, err := syscall.ForkExec("/proc/self/exe", argv, &syscall.ProcAttr{Files: files, Sys: ids.sysProcAttr()})
	if err == nil {
		return pid, nil
	}
	var errno syscall.Errno
	if ids.Rootless && errors.As(err, &errno) {
		return 0, fmt.Errorf("cannot create a user namespace: %s", userns.Explain("/proc", errno))
	}
	return 0, fmt.Errorf("nsjob: start helper: %w", err)
}

// handOver writes the multi-id maps, tells the helper to go and waits for
// its word that it is mapped.
func (r *Runner) handOver(ids IDs) error {
	if ids.Rootless && ids.Helpers != nil {
		if err := ids.Helpers.Apply(r.pid, ids.UIDs, ids.GIDs); err != nil {
			return fmt.Errorf("cannot write the id maps: %s", userns.ExplainHelperFailure(err, *ids.Helpers, ids.SubUIDs, ids.SubGIDs))
		}
	}
	if err := send(r.sock, request{Op: opGo}); err != nil {
		return fmt.Errorf("nsjob: start helper: %w", err)
	}
	var rep reply
	err := recv(r.sock, make([]byte, maxMsg), &rep)
	if err == nil {
		err = rep.err()
	}
	if err != nil {
		return fmt.Errorf("nsjob: start helper: %w", r.helperGone(err))
	}
	return nil
}
