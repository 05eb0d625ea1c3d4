package nsagent

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
	"nook/nsinit"
)

// cloner starts every child of the agent on the one OS thread Main locked:
// a child's parent-death signal fires when the thread that cloned it exits,
// not the process, and the PID namespace a child is born in is its cloning
// thread's. Entering the container's PID namespace (setns with the init's
// pidfd) is allowed to a multithreaded process and changes only that
// thread; Go starts the runtime's new threads from a template thread, not
// from a locked one, so no thread of the agent's ends up in it.
type cloner struct {
	requests chan cloneRequest
	self     *program
	// cgroup: descriptor cgroupFD is the container's cgroup.
	cgroup bool
	// err is why exec helpers cannot be started (until enter: the init
	// is not running yet).
	err error
}

type cloneRequest struct {
	files []int
	done  chan cloneResult
}

type cloneResult struct {
	pid, pidfd int
	err        error
}

var errNoPIDNamespace = errors.New("the container's PID namespace is not entered yet")

func newCloner(self *program, cgroup bool) *cloner {
	return &cloner{requests: make(chan cloneRequest), self: self, cgroup: cgroup, err: errNoPIDNamespace}
}

// startInit clones the init into its new namespaces, with the agent's
// descriptors 0-3 (3: the init's socket to the host side).
func (c *cloner) startInit(flags uintptr) (pid, pidfd int, err error) {
	// Nothing of the caller's working directory stays pinned by the
	// agent; pivot_root moves a root or cwd at the old root only.
	if err := unix.Chdir("/"); err != nil {
		return 0, 0, fmt.Errorf("agent: chdir /: %w", err)
	}
	pid, pidfd, err = c.fork("/proc/self/exe", nsinit.Arg, []int{0, 1, 2, initFD}, flags, syscall.SIGKILL)
	if err != nil {
		return 0, 0, fmt.Errorf("start the container's init in its PID namespace: %w", err)
	}
	return pid, pidfd, nil
}

// enter makes this thread's children be born in the PID namespace of the
// process pidfd names (the init's). A failure leaves exec refused, with
// the reason, and the container running.
func (c *cloner) enter(pidfd int) {
	if err := unix.Setns(pidfd, unix.CLONE_NEWPID); err != nil {
		c.err = fmt.Errorf("enter the container's PID namespace: %w", err)
		return
	}
	c.err = nil
}

// run serves spawn's requests on this thread; it never returns.
func (c *cloner) run() {
	for r := range c.requests {
		r.done <- c.spawnHere(r.files)
	}
}

// spawn starts an exec helper with files as its descriptors 0, 1, 2, ...
// (the caller keeps and closes them); it implements spawner.
func (c *cloner) spawn(files []int) (pid, pidfd int, err error) {
	done := make(chan cloneResult, 1)
	c.requests <- cloneRequest{files: files, done: done}
	r := <-done
	return r.pid, r.pidfd, r.err
}

func (c *cloner) wait(pid int) int { return waitStatus(pid) }

func (c *cloner) spawnHere(files []int) cloneResult {
	if c.err != nil {
		return cloneResult{err: c.err}
	}
	path, err := c.self.sealed()
	if err != nil {
		return cloneResult{err: err}
	}
	// Not the parent-death signal: Go's ForkExec checks after setting it
	// that the parent lives, by getppid, which reads 0 in a PID namespace
	// the parent is not in, and kills the child. The helper sets it.
	pid, pidfd, err := c.fork(path, nsinit.ExecArg, files, 0, 0)
	if errors.Is(err, syscall.ENOENT) {
		// The program is there (the descriptor is open): the ELF
		// interpreter of a dynamically linked nook is not, in the
		// container's root.
		return cloneResult{err: fmt.Errorf("start the exec helper in the container: %w (nook must be linked statically: build it with CGO_ENABLED=0)", err)}
	}
	if err != nil {
		return cloneResult{err: fmt.Errorf("start the exec helper in the container: %w", err)}
	}
	return cloneResult{pid: pid, pidfd: pidfd}
}

// fork clones path (the init program) into the container's cgroup, tied
// to this thread by its parent-death signal death when not 0.
func (c *cloner) fork(path, arg string, files []int, flags uintptr, death syscall.Signal) (pid, pidfd int, err error) {
	pidfd = -1
	attr := &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: death, PidFD: &pidfd}
	if c.cgroup {
		attr.UseCgroupFD, attr.CgroupFD = true, cgroupFD
	}
	fds := make([]uintptr, len(files))
	for i, fd := range files {
		fds[i] = uintptr(fd)
	}
	pid, err = syscall.ForkExec(path, []string{"nook", arg}, &syscall.ProcAttr{Env: os.Environ(), Files: fds, Sys: attr})
	if err != nil {
		return 0, 0, err
	}
	return pid, pidfd, nil
}
