package userns

import (
	"errors"
	"fmt"
	"syscall"
)

// Explain returns a one-line user-facing message for an error err returned
// by clone(CLONE_NEWUSER), reading the kernel's knobs under procRoot
// (normally "/proc"). Messages start lower-case, name the cause and end with
// the fix. A nil err yields "".
func Explain(procRoot string, err error) string {
	if err == nil {
		return ""
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return unexplained(err)
	}
	switch errno {
	case syscall.ENOSYS:
		return noUserNS()
	case syscall.EINVAL:
		// Without CONFIG_USER_NS clone rejects the flag as EINVAL; with it,
		// EINVAL means nook asked for an impossible flag combination.
		if !hasUserNSEntry(procRoot) {
			return noUserNS()
		}
		return "the kernel rejected nook's clone flags (invalid argument) although it supports user namespaces: this is a bug in nook, please report it with the output of `uname -r`"
	}
	// A zero limit refuses every user namespace whatever errno it produced.
	limit, limitKnown := readKnob(procRoot, knobMaxUserNS)
	if limitKnown && limit == 0 {
		return "user namespaces are disabled (user.max_user_namespaces=0): run `sudo sysctl -w user.max_user_namespaces=15000`"
	}
	if errno == syscall.ENOSPC {
		return limitReached(limit, limitKnown)
	}
	if v, ok := readKnob(procRoot, knobDebianClone); ok && v == 0 {
		return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0): run `sudo sysctl -w kernel.unprivileged_userns_clone=1`"
	}
	if v, ok := readKnob(procRoot, knobAppArmor); ok && v == 1 {
		return "unprivileged user namespaces are restricted by Ubuntu's AppArmor policy (kernel.apparmor_restrict_unprivileged_userns=1): run `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or load an AppArmor profile for nook that contains `userns,`"
	}
	switch errno {
	case syscall.EPERM:
		return refusedWithoutKnob(procRoot)
	case syscall.EACCES:
		return "a security module (SELinux or AppArmor) denied creating a user namespace (permission denied): find the denial with `journalctl -k | grep -i denied` and allow user namespace creation for nook"
	}
	return unexplained(err)
}

func noUserNS() string {
	return "this kernel has no user namespaces (built without CONFIG_USER_NS): use a kernel built with CONFIG_USER_NS=y"
}

func unexplained(err error) string {
	return fmt.Sprintf("cannot create a user namespace (%v): look for a denial in the kernel log (`journalctl -k`)", err)
}

// limitReached covers ENOSPC, which the kernel also returns past 32 levels
// of nesting and when the per-user count (the same sysctl, charged in every
// enclosing namespace) is exhausted.
func limitReached(limit int64, known bool) string {
	if !known {
		return "the user namespace limit is reached (user.max_user_namespaces, or 32 levels of nesting): stop containers you no longer need or raise the limit with `sudo sysctl -w user.max_user_namespaces=15000`"
	}
	return fmt.Sprintf("the user namespace limit is reached (user.max_user_namespaces=%d, or 32 levels of nesting): stop containers you no longer need or raise the limit with `sudo sysctl -w user.max_user_namespaces=%d`", limit, max(2*limit, 15000))
}

// refusedWithoutKnob explains EPERM when no sysctl forbids user namespaces.
// The usual culprit is the default seccomp profile of Docker or podman
// around us, which refuses unshare and clone(CLONE_NEWUSER) without
// CAP_SYS_ADMIN; the status file tells whether a filter is present at all.
func refusedWithoutKnob(procRoot string) string {
	if mode, ok := seccompMode(procRoot); ok && mode == 0 {
		// No filter: the kernel also refuses user namespaces inside a chroot.
		return "the kernel refused a user namespace (operation not permitted) although no sysctl or seccomp filter forbids it: nook may be running inside a chroot, which the kernel does not allow; run it outside the chroot"
	}
	return "user namespaces are blocked, probably by the seccomp profile of the container nook runs in (Docker's and podman's default profiles refuse them): start that container with `--security-opt seccomp=unconfined` or run nook as root inside it"
}
