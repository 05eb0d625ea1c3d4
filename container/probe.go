package container

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
	"nook/caps"
	"nook/nsinit"
	"nook/userns"
)

// ProbeUserNS tries to create a user namespace, as nook run would.
func ProbeUserNS() error {
	return probe(unix.CLONE_NEWUSER, "userns")
}

// ProbeOverlay tries a rootless overlay mount in a new user and mount
// namespace, in a scratch directory under dir.
func ProbeOverlay(dir string) error {
	scratch, err := os.MkdirTemp(dir, "nook-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	return probe(unix.CLONE_NEWUSER|unix.CLONE_NEWNS, "overlay", scratch)
}

func probe(flags uintptr, args ...string) error {
	var stderr bytes.Buffer
	cmd := &exec.Cmd{
		Path:   "/proc/self/exe",
		Args:   append([]string{"nook", nsinit.ProbeArg}, args...),
		Env:    []string{},
		Stderr: &stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags:  flags,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
			AmbientCaps: caps.Ambient(),
		},
	}
	if userns.Privileged() {
		// Real root: a mount probe needs no user namespace (nook run as
		// root creates none), and an unmapped one would have no privileges.
		if flags != unix.CLONE_NEWUSER {
			cmd.SysProcAttr.Cloneflags &^= unix.CLONE_NEWUSER
		}
		cmd.SysProcAttr.UidMappings, cmd.SysProcAttr.GidMappings, cmd.SysProcAttr.AmbientCaps = nil, nil, nil
	}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &probeRefusedError{strings.TrimSpace(stderr.String())}
	}
	return err
}

// probeRefusedError is a probe that ran and reported what the kernel
// refused, as opposed to one that could not start.
type probeRefusedError struct{ msg string }

func (e *probeRefusedError) Error() string { return e.msg }
