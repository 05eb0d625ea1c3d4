package cli

import (
	"errors"
	"fmt"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"nook/container"
	"nook/images"
	"nook/progress"
	"nook/rootfs"
	"nook/spec"
	"nook/store"
)

// runImage runs a container of an image: found in the store or pulled as
// --pull says, its root filesystem an overlay of its layers (or a copy)
// with the container's changes in its own directory under the store.
func (c *runCmd) runImage(g *globals) error {
	args := c.Command
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return usage("no image given: nook run IMAGE [COMMAND...] (or --rootfs DIR COMMAND...)")
	}
	st, err := openStore(g)
	if err != nil {
		return err
	}
	defer st.Close()
	img, name, err := c.image(g, st, args[0])
	if err != nil {
		return err
	}
	cf, err := images.Config(st.Store, img)
	if err != nil {
		return err
	}
	cmd, err := c.command(cf.Config, args[1:], args[0])
	if err != nil {
		return err
	}
	ids := containerIDs()
	o, err := c.isolation.options(cmd, ids)
	if err != nil {
		return err
	}
	c.applyImage(&o, cf.Config)
	id := newID()
	fs, err := c.rootfs(g, st, rootfs.Record{ID: id, Name: name, StopSignal: cf.Config.StopSignal,
		Labels: cf.Config.Labels, ExposedPorts: sortedKeys(cf.Config.ExposedPorts)}, img)
	if err != nil {
		return err
	}
	err = c.startImage(g, fs, st, o, ids, id)
	if c.Rm {
		if rerr := rootfs.Remove(st.Store, id, st.jobs.RemoveAll); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

func (c *runCmd) startImage(g *globals, fs *rootfs.Rootfs, st *imageStore, o spec.Options, ids idPlan, id string) error {
	cfg, err := c.config(g, fs.Path(), o, ids, id)
	if err != nil {
		return err
	}
	cfg.Overlay = fs.Overlay(st.Store)
	return start(cfg, ids, &c.resources, id)
}

// image finds the image in the store or pulls it, as --pull says.
func (c *runCmd) image(g *globals, st *imageStore, arg string) (store.Image, string, error) {
	if c.Pull != "always" {
		img, err := images.Find(st.Store, arg)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return img, typedName(arg), err
		}
		if c.Pull == "never" {
			return img, "", fmt.Errorf("image %s is not in the store and --pull=never: pull it first (nook pull %s)", arg, arg)
		}
	}
	mode := progress.Lines
	if isTerminal(g.Stderr) {
		mode = progress.Bars
	}
	g2 := *g
	g2.Stdout = g.Stderr // the container's output is what stdout is for
	p, err := pull(&g2, st, arg, c.registryOptions(), mode)
	if err != nil {
		return store.Image{}, "", err
	}
	return p.Image, p.Name, nil
}

// command is the image's Entrypoint and Cmd as Docker combines them with
// the command line and --entrypoint.
func (c *runCmd) command(cfg v1.Config, args []string, image string) ([]string, error) {
	entry := cfg.Entrypoint
	cmd := cfg.Cmd
	if c.Entrypoint != nil {
		// --entrypoint resets the image's Cmd too, as Docker does.
		entry, cmd = nil, nil
		if *c.Entrypoint != "" {
			entry = []string{*c.Entrypoint}
		}
	}
	if len(args) > 0 {
		cmd = args
	}
	out := append(append([]string{}, entry...), cmd...)
	if len(out) == 0 {
		return nil, usage(fmt.Sprintf("image %s has no command (no Entrypoint or Cmd): give one, e.g. nook run %s sh", image, image))
	}
	return out, nil
}

// applyImage fills in what the flags left to the image: its environment
// (flags win), working directory and user.
func (c *runCmd) applyImage(o *spec.Options, cfg v1.Config) {
	o.Env = spec.MergeEnv(cfg.Env, o.Env)
	if o.Workdir == "" {
		o.Workdir = cfg.WorkingDir
	}
	o.User, o.ReadOnly = c.User, c.ReadOnly
	if o.User == "" {
		o.User = cfg.User
	}
}

// rootfs makes the container's root filesystem with the store's driver.
func (c *runCmd) rootfs(g *globals, st *imageStore, rec rootfs.Record, img store.Image) (*rootfs.Rootfs, error) {
	driver, err := rootfs.Driver(st.Store, container.OverlayWorks, func(msg string) {
		fmt.Fprintf(g.Stderr, "nook: %s\n", msg)
	})
	if err != nil {
		return nil, err
	}
	rec.Driver = driver
	return rootfs.Create(st.Store, rec, img, st.jobs.Flatten)
}

func sortedKeys(m map[string]struct{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
