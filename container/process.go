package container

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// process is the init, started with syscall.ForkExec rather than os/exec:
// os/exec probes pidfd support with an extra fork on its first use, a
// tenth of a millisecond on the start path.
type process struct {
	pid int
	// init is the container's PID 1, where signals go: pid itself, or
	// with an agent in front, the init it started (initFD its pidfd).
	init   int
	initFD int
}

// target is the container's PID 1.
func (p *process) target() int { return p.init }

// initEnv is the init's whole environment (the command's comes with the
// config). The init does one thing at a time and allocates little: one P
// means fewer runtime threads to start (and a cheaper clone for the host's
// next fork), and no GC cycle runs before execve. Together they take half
// a millisecond off every start. The --init reaper turns the GC back on.
var initEnv = []string{"GOMAXPROCS=1", "GOGC=off"}

// spawn clones the init (or the agent) with fds as its descriptors 0, 1,
// 2, ...; -1 becomes /dev/null.
func spawn(path string, args []string, fds []int, attr *syscall.SysProcAttr) (*process, error) {
	files := make([]uintptr, len(fds))
	for i, fd := range fds {
		if fd < 0 {
			null, err := os.Open(os.DevNull)
			if err != nil {
				return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
			}
			defer null.Close()
			fd = int(null.Fd())
		}
		files[i] = uintptr(fd)
	}
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{Env: initEnv, Files: files, Sys: attr})
	if err != nil {
		return nil, err
	}
	return &process{pid: pid, init: pid, initFD: -1}, nil
}

// fdOf is f's descriptor, -1 for nil.
func fdOf(f *os.File) int {
	if f == nil {
		return -1
	}
	return int(f.Fd())
}

// exited waits until the init has exited but leaves it a zombie, so its pid
// cannot be reused while signals may still be sent to it.
func (p *process) exited() error {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// reap collects the exit status (after exited, or to clean up a failure).
func (p *process) reap() (syscall.WaitStatus, error) {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(p.pid, &ws, 0, nil)
		if !errors.Is(err, syscall.EINTR) {
			return ws, err
		}
	}
}

// signal sends s to the container's PID 1. Behind an agent the init is
// not nook's child and may be reaped at any time: its pidfd keeps a
// recycled pid from getting the signal.
func (p *process) signal(s syscall.Signal) {
	if p.initFD >= 0 {
		_ = unix.PidfdSendSignal(p.initFD, s, nil, 0)
		return
	}
	_ = syscall.Kill(p.pid, s)
}

// kill ends the container: its PID 1 dies with the agent (parent-death
// signal) too, but directly is sooner.
func (p *process) kill() {
	p.signal(syscall.SIGKILL)
	_ = syscall.Kill(p.pid, syscall.SIGKILL)
	_, _ = p.reap()
}
