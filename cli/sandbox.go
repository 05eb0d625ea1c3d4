package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"nook/initbin"
	"nook/lifecycle"
	"nook/spec"
)

func (c *sandboxCmd) Run(g *globals) error {
	initbin.Prefetch()
	ids := sandboxIDs(c.Root)
	o, err := c.isolation.options(c.Command, ids)
	if err != nil {
		return err
	}
	o.Env = spec.MergeEnv(os.Environ(), o.Env)
	cwd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	if o.Workdir == "" {
		o.Workdir = cwd
	}
	o.User = "0:0"
	if ids.Rootless {
		o.User = fmt.Sprintf("%d:%d", ids.UIDs[0].ContainerID, ids.GIDs[0].ContainerID)
	}
	rw, err := existing("--rw", c.Rw)
	if err != nil {
		return err
	}
	ro, err := existing("--ro", c.Ro)
	if err != nil {
		return err
	}
	hide, err := existing("--hide", c.Hide)
	if err != nil {
		return err
	}
	s, err := spec.Sandbox(o, cwd, rw, ro, hide)
	if err != nil {
		return err
	}
	cfg := c.isolation.config(s, g)
	cfg.HostRoot = true
	cfg.Files = c.net.sandboxFiles()
	cfg.IDNote = ids.Note
	return start(g, cfg, ids, &c.resources, lifecycle.NewID(), nil, nil)
}

// existing makes each path absolute and checks it is there: a sandbox
// cannot create anything on the read-only host root.
func existing(flag string, paths []string) ([]string, error) {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", flag, p, err)
		}
		if _, err := os.Lstat(abs); err != nil {
			return nil, fmt.Errorf("%s %s: no such file or directory on the host", flag, p)
		}
		out = append(out, abs)
	}
	return out, nil
}
