package container

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
	"nook/nsinit"
)

// process is the init, started with syscall.ForkExec rather than os/exec:
// os/exec probes pidfd support with an extra fork on its first use, a
// tenth of a millisecond on the start path.
type process struct {
	pid int
}

// initEnv is the init's whole environment (the command's comes with the
// config). The init does one thing at a time and allocates little: one P
// means fewer runtime threads to start (and a cheaper clone for the host's
// next fork), and no GC cycle runs before execve. Together they take half
// a millisecond off every start. The --init reaper turns the GC back on.
var initEnv = []string{"GOMAXPROCS=1", "GOGC=off"}

// spawn clones the init with files as its descriptors 0, 1, 2 and 3 (the
// socket); a nil standard stream becomes /dev/null.
func spawn(path string, files [4]*os.File, attr *syscall.SysProcAttr) (*process, error) {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		if f == nil {
			null, err := os.Open(os.DevNull)
			if err != nil {
				return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
			}
			defer null.Close()
			f = null
		}
		fds[i] = f.Fd()
	}
	pid, err := syscall.ForkExec(path, []string{"nook", nsinit.Arg}, &syscall.ProcAttr{Env: initEnv, Files: fds, Sys: attr})
	if err != nil {
		return nil, err
	}
	return &process{pid: pid}, nil
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

func (p *process) signal(s syscall.Signal) { _ = syscall.Kill(p.pid, s) }

func (p *process) kill() {
	p.signal(syscall.SIGKILL)
	_, _ = p.reap()
}
