package cli

import (
	"context"
	"fmt"
	"time"

	"nook/initbin"
	"nook/lifecycle"
	"nook/logs"
)

type startCmd struct {
	Attach     bool     `short:"a" help:"Print the container's output until it exits, and exit with its status."`
	Containers []string `arg:"" placeholder:"CONTAINER" help:"Containers (name, id or id prefix)."`
}

func (c *startCmd) Run(g *globals) error {
	initbin.Prefetch()
	if c.Attach && len(c.Containers) != 1 {
		return usage("start -a takes one container")
	}
	ls, err := openLifecycle()
	if err != nil {
		return failed(err)
	}
	for _, ref := range c.Containers {
		ctr, err := ls.Resolve(ref)
		if err != nil {
			return failed(err)
		}
		if err := startStopped(g, ls, ctr); err != nil {
			return err
		}
		if c.Attach {
			return attachUntilExit(g, ls, ctr)
		}
		fmt.Fprintln(g.Stdout, ref)
	}
	return nil
}

// startStopped starts a container that does not run (created or exited)
// with a new supervisor; its root filesystem and changes are the same.
func startStopped(g *globals, ls *lifecycle.Store, ctr lifecycle.Container) error {
	unlock, err := ls.Lock(ctr.ID)
	if err != nil {
		return failed(err)
	}
	defer unlock()
	if ctr, err = ls.Get(ctr.ID); err != nil {
		return failed(err)
	}
	if ctr.State == lifecycle.Running {
		return nil
	}
	return startSupervisor(g, ls, ctr)
}

// attachUntilExit prints the output the container makes from now on and
// returns its exit status.
func attachUntilExit(g *globals, ls *lifecycle.Store, ctr lifecycle.Container) error {
	done := func() bool {
		now, err := ls.Get(ctr.ID)
		return err != nil || now.State != lifecycle.Running
	}
	opts := logs.Options{Tail: logs.AllLines, Since: time.Now().Add(-time.Second), Follow: true, Done: done}
	if err := logs.Read(context.Background(), ls.LogPath(ctr.ID), opts, g.Stdout, g.Stderr); err != nil {
		return failed(err)
	}
	now, err := ls.Get(ctr.ID)
	if err != nil {
		return failed(err)
	}
	if now.ExitCode != 0 {
		return exitError{now.ExitCode}
	}
	return nil
}

type restartCmd struct {
	Time       int      `short:"t" default:"-1" placeholder:"SECONDS" help:"Seconds to wait before killing the container (default 10)."`
	Containers []string `arg:"" placeholder:"CONTAINER" help:"Containers (name, id or id prefix)."`
}

func (c *restartCmd) Run(g *globals) error {
	initbin.Prefetch()
	return eachContainer(g, c.Containers, func(ls *lifecycle.Store, ctr lifecycle.Container) error {
		if err := stopContainer(ls, ctr, c.Time); err != nil {
			return err
		}
		if !waitSupervisorGone(ls, ctr.ID, 10*time.Second) {
			return fmt.Errorf("the supervisor of container %s did not exit", ctr.Name)
		}
		now, err := ls.Get(ctr.ID)
		if err != nil {
			return err
		}
		return startStopped(g, ls, now)
	})
}

// waitSupervisorGone waits until no supervisor holds the container.
func waitSupervisorGone(ls *lifecycle.Store, id string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		c, err := ls.Get(id)
		if err != nil || c.Supervisor == nil || !c.Supervisor.Alive() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

type renameCmd struct {
	Container string `arg:"" help:"Container (name, id or id prefix)."`
	NewName   string `arg:"" help:"Its new name."`
}

func (c *renameCmd) Run(g *globals) error {
	if err := lifecycle.ValidName(c.NewName); err != nil {
		return failed(err)
	}
	ls, ctr, err := resolveContainer(c.Container)
	if err != nil {
		return failed(err)
	}
	return failed(ls.Rename(ctr.ID, ctr.Name, c.NewName))
}

type containerPruneCmd struct {
	Force bool `short:"f" help:"Accepted for Docker's sake: nook does not ask."`
}

// Run removes every container that is not running.
func (c *containerPruneCmd) Run(g *globals) error {
	ls, err := openLifecycle()
	if err != nil {
		return failed(err)
	}
	ctrs, err := ls.List()
	if err != nil {
		return failed(err)
	}
	for _, ctr := range ctrs {
		if ctr.State == lifecycle.Running || (ctr.Supervisor != nil && ctr.Supervisor.Alive()) {
			continue
		}
		if err := removeContainer(g, ls, ctr); err != nil {
			return failed(err)
		}
		fmt.Fprintln(g.Stdout, ctr.ID)
	}
	return nil
}
