package cli

import (
	"fmt"
	"os"
	"slices"
)

type createCmd struct {
	runCmd
}

// Run records the container as run -d would, without starting it: nook
// start does, later. The image is found (or pulled) at that start.
func (c *createCmd) Run(g *globals) error {
	dir, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	cfg, err := c.lifecycleConfig(dir)
	if err != nil {
		return err
	}
	// The supervisor runs the command line as `run`.
	i := slices.Index(cfg.Args, "create")
	if i < 0 {
		return fmt.Errorf("internal error: no create in %q", os.Args)
	}
	cfg.Args = slices.Concat(cfg.Args[:i], []string{"run"}, cfg.Args[i+1:])
	if _, _, err := recordContainer(cfg); err != nil {
		return err
	}
	fmt.Fprintln(g.Stdout, cfg.ID)
	return nil
}

type containerCmd struct {
	Ls      psCmd             `cmd:"" aliases:"ps,list" help:"List containers."`
	Rm      rmCmd             `cmd:"" help:"Remove containers."`
	Prune   containerPruneCmd `cmd:"" help:"Remove every stopped container."`
	Inspect inspectCmd        `cmd:"" help:"Show containers' details as JSON."`
	Stop    stopCmd           `cmd:"" help:"Stop running containers."`
	Start   startCmd          `cmd:"" help:"Start stopped containers."`
	Kill    killCmd           `cmd:"" help:"Send a signal to running containers."`
	Logs    logsCmd           `cmd:"" help:"Show a container's output."`
	Wait    waitCmd           `cmd:"" help:"Wait for containers to stop and print their exit codes."`
	Restart restartCmd        `cmd:"" help:"Restart containers."`
	Rename  renameCmd         `cmd:"" help:"Rename a container."`
	Top     topCmd            `cmd:"" help:"List a container's processes."`
	Exec    execCmd           `cmd:"" help:"Run a command in a running container."`
	Cp      cpCmd             `cmd:"" help:"Copy files between a container and the host."`
	Create  createCmd         `cmd:"" help:"Create a container without starting it."`
}
