package nsinit

import (
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"golang.org/x/sys/unix"
)

// reap is --init: PID 1 stays behind as a minimal init that forwards
// signals to the command and reaps every orphan the container produces,
// then exits with the command's status. It runs with the command's
// identity, capabilities and filters, already applied to this thread, which
// the command inherits at fork.
func reap(path string, args, env []string, tty bool) error {
	// It lives as long as the container: collect garbage again (the init
	// starts with GOGC=off).
	debug.SetGCPercent(100)
	// Not dumpable: the container's processes cannot open /proc/1/exe (the
	// nook binary) or its memory.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return err
	}
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs)
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{0, 1, 2},
		// The command gets its own process group, the terminal's foreground
		// one when there is a terminal, so ^C reaches it and not the reaper.
		Sys: &syscall.SysProcAttr{Setpgid: true, Foreground: tty, Ctty: 0},
	}
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return err
	}
	pid, err := syscall.ForkExec(path, args, attr)
	if err != nil {
		return execError(path, err)
	}
	// From here on there is nobody to report to but the exit status.
	unix.Close(syncFD)
	for sig := range sigs {
		s := sig.(syscall.Signal)
		if s != syscall.SIGCHLD {
			forward(pid, s)
			continue
		}
		if status, done := reapAll(pid); done {
			os.Exit(status)
		}
	}
	return nil
}

func forward(pid int, s syscall.Signal) {
	switch s {
	case syscall.SIGURG, syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU:
		// Runtime preemption and terminal job control signals are the
		// reaper's own business.
		return
	}
	_ = unix.Kill(pid, s)
}

// reapAll collects every exited child; done reports the command's exit.
func reapAll(cmd int) (int, bool) {
	status, done := 0, false
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return status, done
		}
		if pid == cmd {
			status, done = exitStatus(ws), true
		}
	}
}

func exitStatus(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
