// Package nsagent is the agent: the process that stays in a container's
// user, mount, network, UTS and IPC namespaces, but outside its PID
// namespace, for the container's whole life. It starts the init (package
// nsinit) as PID 1 of a new PID namespace, tells the host side that
// process, and then serves the host: published connections are opened
// here, with the kernel's own TCP stack, and passed out as sockets.
//
// The container cannot reach it: a process outside its PID namespace has
// no pid there to ptrace, signal or open under /proc, and the agent talks
// only to the host. The agent starts no code of the container's and reads
// no file of its root after the init's pivot_root (which moves the
// agent's root along, so nothing of the host's filesystem stays pinned).
package nsagent

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
	"nook/messages"
	"nook/nsinit"
)

// Arg is the hidden first argument that makes the binary run as the agent:
//
//	nook __nook_agent CLONEFLAGS CGROUP
//
// CLONEFLAGS (decimal) are the init's own namespaces (CLONE_NEWPID and
// CLONE_NEWCGROUP: the cgroup namespace must be rooted at the container's
// cgroup, where the init is born); CGROUP is "fd" when descriptor 5 is
// the container's cgroup, "-" otherwise.
const Arg = "__nook_agent"

// The agent's descriptors, as the host side passes them.
const (
	initFD   = 3 // the init's socket to the host side, handed on to it
	agentFD  = 4 // the agent's own socket to the host side
	cgroupFD = 5
)

const codeFailed = 125

// Main never returns.
func Main() {
	// The init's parent-death signal belongs to the thread that cloned
	// it: this one, which then waits for it and never exits before.
	runtime.LockOSThread()
	// The host side starts the agent with the init's environment, which
	// turns the collector off: the agent lives as long as the container.
	debug.SetGCPercent(100)
	pid, pidfd, err := startInit(os.Args[2:])
	if err != nil {
		// The host side reads the init's socket for the first failure.
		_ = messages.Send(initFD, messages.Msg{Kind: messages.KindFailed, Error: err.Error(), Code: codeFailed})
		os.Exit(codeFailed)
	}
	unix.Close(initFD)
	quietStdio()
	err = messages.SendAgent(agentFD, messages.AgentMsg{Kind: messages.AgentStarted, Pid: pid}, pidfd)
	unix.Close(pidfd)
	if err != nil {
		os.Exit(codeFailed)
	}
	go serve(agentFD)
	os.Exit(waitStatus(pid))
}

// startInit clones the init into its PID namespace, with the agent's
// descriptors 0-3, its parent-death signal tied to this thread.
func startInit(args []string) (pid, pidfd int, err error) {
	if len(args) != 2 {
		return 0, 0, fmt.Errorf("agent: %d arguments, want 2", len(args))
	}
	flags, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("agent: clone flags %q: %w", args[0], err)
	}
	// Nothing of the caller's working directory stays pinned by the
	// agent; pivot_root moves a root or cwd at the old root only.
	if err := unix.Chdir("/"); err != nil {
		return 0, 0, fmt.Errorf("agent: chdir /: %w", err)
	}
	pidfd = -1
	attr := &syscall.SysProcAttr{Cloneflags: uintptr(flags), Pdeathsig: syscall.SIGKILL, PidFD: &pidfd}
	if args[1] == "fd" {
		attr.UseCgroupFD, attr.CgroupFD = true, cgroupFD
	}
	pid, err = syscall.ForkExec("/proc/self/exe", []string{"nook", nsinit.Arg},
		&syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2, initFD}, Sys: attr})
	if err != nil {
		return 0, 0, fmt.Errorf("start the container's init in its PID namespace: %w", err)
	}
	if args[1] == "fd" {
		unix.Close(cgroupFD)
	}
	return pid, pidfd, nil
}

// quietStdio leaves the agent only stderr of the container's stdio: a
// reader of its stdout or a writer to its stdin must see the end when
// the container's processes are gone, not when the agent is.
func quietStdio() {
	null, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	_ = unix.Dup3(null, 0, 0)
	_ = unix.Dup3(null, 1, 0)
	unix.Close(null)
}

// waitStatus waits for the init and returns its status as the shell's:
// the agent exits with it, which is how the host side learns it.
func waitStatus(pid int) int {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return codeFailed
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}
