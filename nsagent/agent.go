// Package nsagent is the agent: the process that stays in a container's
// user, mount, network, UTS and IPC namespaces, but outside its PID
// namespace, for the container's whole life. It starts the init (package
// nsinit) as PID 1 of a new PID namespace, tells the host side that
// process, and then serves the host: published connections are opened
// here, with the kernel's own TCP stack, and passed out as sockets, and
// nook exec's processes start here (exec.go).
//
// The container cannot reach it: a process outside its PID namespace has
// no pid there to ptrace, signal or open under /proc, and the agent talks
// only to the host (and, warily, to the exec helpers it starts). The agent
// starts no code of the container's and reads no file of its root after
// the init's pivot_root (which moves the agent's root along, so nothing of
// the host's filesystem stays pinned).
package nsagent

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
	"nook/messages"
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
	cgroupFD = 5 // kept: exec helpers are born there too
)

const codeFailed = 125

var agentName = []byte("nook-agent\x00")

// drainTimeout bounds how long the agent's exit waits for the last
// messages about exec'd processes.
const drainTimeout = 2 * time.Second

// Main never returns.
func Main() {
	// A child's parent-death signal belongs to the thread that cloned it:
	// this one, which clones every child (see cloner) and never exits.
	runtime.LockOSThread()
	// Started from a memfd the process is called by the descriptor's
	// number; on the host it should read as what it is.
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&agentName[0])), 0, 0, 0)
	// The host side starts the agent with the init's environment, which
	// turns the collector off: the agent lives as long as the container.
	debug.SetGCPercent(100)
	// Children get what ForkExec hands them, nothing else of the agent's.
	_ = unix.CloseRange(initFD, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	c, pid, pidfd, err := start(os.Args[2:])
	if err != nil {
		// The host side reads the init's socket for the first failure.
		_ = messages.Send(initFD, messages.Msg{Kind: messages.KindFailed, Error: err.Error(), Code: codeFailed})
		os.Exit(codeFailed)
	}
	unix.Close(initFD)
	quietStdio()
	err = messages.SendAgent(agentFD, messages.AgentMsg{Kind: messages.AgentStarted, Pid: pid}, pidfd)
	if err != nil {
		os.Exit(codeFailed)
	}
	c.enter(pidfd)
	unix.Close(pidfd)
	a := newAgent(agentFD, c)
	go func() {
		a.serve()
		os.Exit(codeFailed)
	}()
	go func() {
		status := waitStatus(pid)
		// The init's exit waited for the kernel to kill the rest of its
		// PID namespace and for the agent to reap the exec'd processes
		// among them: their last messages are on their way.
		a.drain(drainTimeout)
		os.Exit(status)
	}()
	c.run()
}

// start opens the agent's own program (for exec helpers) and starts the
// init; the cloner it returns is to run on this thread.
func start(args []string) (c *cloner, pid, pidfd int, err error) {
	if len(args) != 2 {
		return nil, 0, 0, fmt.Errorf("agent: %d arguments, want 2", len(args))
	}
	flags, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("agent: clone flags %q: %w", args[0], err)
	}
	// Before the init's pivot_root: afterwards /proc is the container's,
	// where the agent has no pid and /proc/self/exe no meaning.
	self, err := openSelf()
	if err != nil {
		return nil, 0, 0, err
	}
	c = newCloner(self, args[1] == "fd")
	pid, pidfd, err = c.startInit(uintptr(flags))
	if err != nil {
		return nil, 0, 0, err
	}
	return c, pid, pidfd, nil
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
