package nsinit

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/caps"
	"nook/seccomp"
)

// command is what launch starts: the spec's process as resolved in the
// container (its user, the executable's path, the final environment).
type command struct {
	proc    *specs.Process
	seccomp bool
	// reaper puts --init's reaper in front of the command.
	reaper bool
	user   user
	path   string
	env    []string
}

// launch drops to the command's identity and privileges and execs it (or,
// with --init, starts it under a reaper). Credentials, capabilities,
// no_new_privs and seccomp are per-thread in the kernel, so all of it is done
// on one locked thread and execve is called from that same thread.
func launch(c command) error {
	runtime.LockOSThread()
	want, err := caps.FromSpec(c.proc.Capabilities)
	if err != nil {
		return err
	}
	nnp := c.proc.NoNewPrivileges
	// Without no_new_privs the kernel takes a filter only from a thread
	// with CAP_SYS_ADMIN: install it while still privileged (as runc does).
	// The filter denies nothing the privilege drop needs.
	if c.seccomp && !nnp {
		if err := installSeccomp(want); err != nil {
			return err
		}
	}
	if err := dropPrivileges(want, c.user); err != nil {
		return err
	}
	if nnp {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
		if c.seccomp {
			if err := installSeccomp(want); err != nil {
				return err
			}
		}
	}
	if err := tieToHost(); err != nil {
		return err
	}
	if c.reaper {
		return reap(c.path, c.proc.Args, c.env, c.proc.Terminal)
	}
	return execute(c.path, c.proc.Args, c.env)
}

func installSeccomp(want caps.Caps) error {
	filter, err := seccomp.DefaultPolicy(want.Bounding).Assemble()
	if err != nil {
		return err
	}
	return seccomp.Install(filter)
}

// dropPrivileges limits the bounding set while still root, switches ids
// keeping capabilities (so dropping CAP_SETUID from the set cannot stop the
// switch), then sets the final sets: Docker's defaults for root, none for
// any other user.
func dropPrivileges(want caps.Caps, u user) error {
	last := caps.LastCap()
	have, err := permitted()
	if err != nil {
		return err
	}
	// A real root's own sets may already be limited (nook inside a
	// container): nothing beyond them can be asked for.
	want.Effective &= have
	want.Permitted &= have
	want.Inheritable &= have
	want.Ambient &= have
	first := caps.Caps{Bounding: want.Bounding, Effective: have, Permitted: have}
	if err := caps.Apply(first, last); err != nil {
		return fmt.Errorf("limit capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("keep capabilities: %w", err)
	}
	if err := switchIDs(u); err != nil {
		return err
	}
	if u.UID != 0 {
		want.Effective, want.Permitted, want.Inheritable, want.Ambient = 0, 0, 0, 0
	}
	if err := caps.Apply(want, last); err != nil {
		return fmt.Errorf("set capabilities: %w", err)
	}
	return unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0)
}

func permitted() (caps.Set, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, fmt.Errorf("read capabilities: %w", err)
	}
	return caps.Set(data[0].Permitted) | caps.Set(data[1].Permitted)<<32, nil
}

// switchIDs uses raw syscalls: Go's wrappers change every thread, and
// changing only this one is both enough (it execs) and cheaper.
func switchIDs(u user) error {
	if len(u.Groups) > 0 || canSetgroups() {
		groups := u.Groups
		var p unsafe.Pointer
		if len(groups) > 0 {
			p = unsafe.Pointer(&groups[0])
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), uintptr(p), 0); e != 0 {
			return fmt.Errorf("setgroups: %w", e)
		}
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); e != 0 {
		return fmt.Errorf("setgid %d: %w", u.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); e != 0 {
		return fmt.Errorf("setuid %d: %w", u.UID, e)
	}
	return nil
}

// canSetgroups: with a single mapping written by an unprivileged user the
// kernel requires setgroups to be denied; clearing the inherited groups is
// then neither possible nor needed (there are none mapped).
func canSetgroups() bool {
	b := make([]byte, 16)
	fd, err := unix.Open("/proc/self/setgroups", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return true
	}
	defer unix.Close(fd)
	n, _ := unix.Read(fd, b)
	return n < 4 || string(b[:4]) != "deny"
}

// tieToHost makes the command die with nook (an exec'd one: with the
// agent). The parent-death signal set at clone time was cleared by the id
// switch, so it is set again, and then the socket to the parent's side is
// checked: had it died in between, nothing would deliver the signal any more.
func tieToHost() error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent death signal: %w", err)
	}
	fds := []unix.PollFd{{Fd: syncFD, Events: unix.POLLIN | unix.POLLRDHUP}}
	n, err := unix.Poll(fds, 0)
	if err != nil && !errors.Is(err, unix.EINTR) {
		return fmt.Errorf("poll host socket: %w", err)
	}
	if n > 0 {
		unix.Exit(codeFailed)
	}
	return nil
}

// execute replaces the init with the command. Every descriptor but 0, 1 and
// 2 is marked close-on-exec first: nothing of nook's reaches the command.
func execute(path string, args, env []string) error {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close descriptors: %w", err)
	}
	err := syscall.Exec(path, args, env)
	return execError(path, err)
}

func execError(path string, err error) error {
	if errors.Is(err, unix.ENOENT) {
		return withCode(codeNotFound, "exec %s: no such file or directory", path)
	}
	return withCode(codeCannotExec, "exec %s: %v", path, err)
}
