package cli

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"nook/lifecycle"
	"nook/rootfs"
	"nook/supervisor"
)

// The lifecycle commands work on the records in lifecycle/ and on each
// running container's supervisor, through its control socket.

// resolveAll resolves every ref, failing on the first that names nothing.
func resolveAll(ls *lifecycle.Store, refs []string) ([]lifecycle.Container, error) {
	var out []lifecycle.Container
	for _, ref := range refs {
		c, err := ls.Resolve(ref)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// eachContainer runs do for every ref, printing the ref when it worked
// and the error when not, as Docker's stop/kill/rm do; the status is 1 if
// any failed.
func eachContainer(g *globals, refs []string, do func(ls *lifecycle.Store, c lifecycle.Container) error) error {
	ls, err := openLifecycle()
	if err != nil {
		return failed(err)
	}
	var errs []error
	for _, ref := range refs {
		c, err := ls.Resolve(ref)
		if err == nil {
			err = do(ls, c)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(g.Stdout, ref)
	}
	return failed(errors.Join(errs...))
}

type stopCmd struct {
	Time       int      `short:"t" default:"-1" placeholder:"SECONDS" help:"Seconds to wait before killing the container (default 10)."`
	Containers []string `arg:"" placeholder:"CONTAINER" help:"Containers (name, id or id prefix)."`
}

func (c *stopCmd) Run(g *globals) error {
	return eachContainer(g, c.Containers, func(ls *lifecycle.Store, ctr lifecycle.Container) error {
		return stopContainer(ls, ctr, c.Time)
	})
}

// stopContainer sends the container's stop signal (the image's, or
// SIGTERM), waits up to timeout seconds, then SIGKILL. A container that
// is not running is left as it is.
func stopContainer(ls *lifecycle.Store, ctr lifecycle.Container, timeout int) error {
	if ctr.State != lifecycle.Running {
		return nil
	}
	if timeout < 0 {
		timeout = ctr.StopTime
		if timeout <= 0 {
			timeout = 10
		}
	}
	sig, err := stopSignal(ctr)
	if err != nil {
		return err
	}
	if err := signalContainer(ctr, sig, true); err != nil {
		return err
	}
	if waitStopped(ls, ctr.ID, time.Duration(timeout)*time.Second) {
		return nil
	}
	if err := signalContainer(ctr, syscall.SIGKILL, true); err != nil {
		return err
	}
	if !waitStopped(ls, ctr.ID, 30*time.Second) {
		return fmt.Errorf("container %s did not stop after SIGKILL", ctr.Name)
	}
	return nil
}

func stopSignal(ctr lifecycle.Container) (syscall.Signal, error) {
	name := ctr.StopSignal
	if name == "" {
		return syscall.SIGTERM, nil
	}
	sig, err := parseSignal(name)
	if err != nil {
		return 0, fmt.Errorf("container %s: its stop signal %q: %w", ctr.Name, name, err)
	}
	return sig, nil
}

// signalContainer asks ctr's supervisor to signal its PID 1; stop tells
// it no restart policy applies any more.
func signalContainer(ctr lifecycle.Container, sig syscall.Signal, stop bool) error {
	return askSignal(ctr, supervisor.Request{Op: "signal", Signal: int(sig), Stop: stop})
}

// killAndWait sends SIGKILL and returns once the supervisor has recorded
// the container's end.
func killAndWait(ctr lifecycle.Container) error {
	return askSignal(ctr, supervisor.Request{Op: "signal", Signal: int(syscall.SIGKILL), Stop: true, Wait: true})
}

func askSignal(ctr lifecycle.Container, req supervisor.Request) error {
	if ctr.Supervisor == nil {
		return fmt.Errorf("container %s is not running", ctr.Name)
	}
	return supervisor.Ask(ctr.Supervisor.Socket, req)
}

// waitStopped waits until the container no longer runs and its supervisor
// is done with it (or gone), at most for d.
func waitStopped(ls *lifecycle.Store, id string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		c, err := ls.Get(id)
		if err != nil || c.State != lifecycle.Running {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type killCmd struct {
	Signal     string   `short:"s" default:"KILL" placeholder:"SIGNAL" help:"Signal to send (name or number)."`
	Containers []string `arg:"" placeholder:"CONTAINER" help:"Containers (name, id or id prefix)."`
}

func (c *killCmd) Run(g *globals) error {
	sig, err := parseSignal(c.Signal)
	if err != nil {
		return failed(fmt.Errorf("invalid --signal %q: %w", c.Signal, err))
	}
	return eachContainer(g, c.Containers, func(ls *lifecycle.Store, ctr lifecycle.Container) error {
		if ctr.State != lifecycle.Running {
			return fmt.Errorf("container %s is not running", ctr.Name)
		}
		return signalContainer(ctr, sig, sig == syscall.SIGKILL || sig == syscall.SIGTERM)
	})
}

type rmCmd struct {
	Force      bool     `short:"f" help:"Kill a running container first."`
	Volumes    bool     `short:"v" help:"Accepted for Docker's sake: nook keeps no anonymous volumes."`
	Containers []string `arg:"" placeholder:"CONTAINER" help:"Containers (name, id or id prefix)."`
}

func (c *rmCmd) Run(g *globals) error {
	return eachContainer(g, c.Containers, func(ls *lifecycle.Store, ctr lifecycle.Container) error {
		if ctr.State == lifecycle.Running {
			if !c.Force {
				return fmt.Errorf("container %s is running: stop it first, or use rm -f", ctr.Name)
			}
			// An error with the container gone is the supervisor exiting
			// as it answers.
			if err := killAndWait(ctr); err != nil && !waitStopped(ls, ctr.ID, time.Second) {
				return err
			}
			if !waitStopped(ls, ctr.ID, 30*time.Second) {
				return fmt.Errorf("container %s did not stop after SIGKILL", ctr.Name)
			}
		}
		return removeContainer(g, ls, ctr)
	})
}

// removeContainer deletes a container that does not run: its root
// filesystem (files of its other ids through the namespace helper), then
// its records. It waits for a supervisor still winding down first.
func removeContainer(g *globals, ls *lifecycle.Store, ctr lifecycle.Container) error {
	unlock, err := ls.Lock(ctr.ID)
	if err != nil {
		return err
	}
	defer unlock()
	if ctr.Image != "" {
		st, err := openStore(g)
		if err != nil {
			return err
		}
		defer st.Close()
		err = rootfs.Remove(st.Store, ctr.ID, st.jobs.RemoveAll)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the root filesystem of container %s: %w", ctr.Name, err)
		}
	}
	return ls.Remove(ctr)
}

type waitCmd struct {
	Containers []string `arg:"" placeholder:"CONTAINER" help:"Containers (name, id or id prefix)."`
}

// Run waits for each container to stop and prints its exit code.
func (c *waitCmd) Run(g *globals) error {
	ls, err := openLifecycle()
	if err != nil {
		return failed(err)
	}
	ctrs, err := resolveAll(ls, c.Containers)
	if err != nil {
		return failed(err)
	}
	for _, ctr := range ctrs {
		for ctr.State == lifecycle.Running {
			time.Sleep(50 * time.Millisecond)
			if ctr, err = ls.Get(ctr.ID); err != nil {
				return failed(fmt.Errorf("container %s was removed while waiting", c.Containers[0]))
			}
		}
		fmt.Fprintln(g.Stdout, ctr.ExitCode)
	}
	return nil
}
