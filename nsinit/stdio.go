package nsinit

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/messages"
)

// setupStdio gives the command its standard descriptors: a pty, or the
// ones it was started with (stdin only if keepStdin, else /dev/null).
// Either way the command gets a session of its own, so a terminal it
// inherited from the caller is not its controlling terminal and TIOCSTI
// cannot type into it.
func setupStdio(p *specs.Process, keepStdin bool) error {
	if p.Terminal {
		return setupPty(p.ConsoleSize)
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if keepStdin {
		return nil
	}
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/null: %w", err)
	}
	defer unix.Close(fd)
	return dup(fd, 0)
}

// setupPty makes a pty in the container's own devpts instance (so the
// command sees /dev/pts/0, and nothing of the host's terminals), hands the
// master to whoever started it (the host side, or the agent for an exec
// helper) and makes the slave the controlling terminal.
func setupPty(size *specs.Box) error {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/ptmx: %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	// TIOCGPTPEER opens the slave from the master without a path lookup.
	slave, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		return fmt.Errorf("open pty slave: %w", errno)
	}
	defer unix.Close(int(slave))
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("set terminal size: %w", err)
		}
	}
	if err := messages.Send(syncFD, messages.Msg{Kind: messages.KindPty}, master); err != nil {
		return err
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := unix.IoctlSetInt(int(slave), unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := dup(int(slave), fd); err != nil {
			return err
		}
	}
	return nil
}

func dup(from, to int) error {
	if err := unix.Dup3(from, to, 0); err != nil {
		return fmt.Errorf("dup %d to %d: %w", from, to, err)
	}
	return nil
}
