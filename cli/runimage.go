package cli

import (
	"errors"
	"fmt"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"nook/container"
	"nook/images"
	"nook/messages"
	"nook/progress"
	"nook/rootfs"
	"nook/spec"
	"nook/store"
)

// runImage runs a container of an image: found in the store or pulled as
// --pull says, its root filesystem an overlay of its layers (or a copy)
// with the container's changes in its own directory under the store.
//
// The init is cloned first, from what the flags alone decide (namespaces,
// id maps, terminal); the image is found and its root filesystem made
// while the init's runtime starts (container.Run.Prepare).
func (c *runCmd) runImage(g *globals) error {
	args := c.Command
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return usage("no image given: nook run IMAGE [COMMAND...] (or --rootfs DIR COMMAND...)")
	}
	ids := containerIDs()
	o, err := c.isolation.options(placeholder(args[1:]), ids)
	if err != nil {
		return err
	}
	o.User, o.ReadOnly = c.User, c.ReadOnly
	id := g.containerID()
	quiet := *g
	quiet.Debug = false // the real config is printed once it is made
	early, err := c.config(&quiet, "/", o, ids, id)
	if err != nil {
		return err
	}
	if _, err := checkPublish(c); err != nil {
		return err
	}
	p := &imageRun{c: c, g: g, ids: ids, id: id, image: args[0], args: args[1:]}
	p.ports.asked = c.publishing()
	defer p.close()
	defer p.ports.close()
	err = start(g, early, ids, &c.resources, id, p.prepare, &p.ports)
	if rerr := p.remove(); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// placeholder stands in for a command the image will give, so the flags
// can be checked before the image is read.
func placeholder(cmd []string) []string {
	if len(cmd) == 0 {
		return []string{"/image-command"}
	}
	return cmd
}

// imageRun is the image side of one run: the store, the image and the
// container's root filesystem.
type imageRun struct {
	c     *runCmd
	g     *globals
	ids   idPlan
	id    string
	image string
	args  []string
	st    *imageStore
	fs    *rootfs.Rootfs
	ports publishedPorts
}

func (p *imageRun) prepare() (*messages.Config, error) {
	st, err := openStoreWith(p.g, p.ids)
	if err != nil {
		return nil, err
	}
	p.st = st
	img, name, err := p.c.image(p.g, st, p.image)
	if err != nil {
		return nil, err
	}
	cf, err := images.Config(st.Store, img)
	if err != nil {
		return nil, err
	}
	host := p.c.Hostname
	if host == "" {
		host = shortID(p.id)
	}
	if err := p.ports.bind(p.c, sortedKeys(cf.Config.ExposedPorts), p.id, p.g.portsName(host)); err != nil {
		return nil, err
	}
	cmd, err := p.c.command(cf.Config, p.args, p.image)
	if err != nil {
		return nil, err
	}
	o, err := p.c.isolation.options(cmd, p.ids)
	if err != nil {
		return nil, err
	}
	p.c.applyImage(&o, cf.Config)
	rec := rootfs.Record{ID: p.id, Name: name, StopSignal: cf.Config.StopSignal,
		Labels: cf.Config.Labels, ExposedPorts: sortedKeys(cf.Config.ExposedPorts)}
	if p.g.sup != nil {
		p.g.sup.imageKnown(img.Digest.String(), rec)
	}
	if p.fs, err = p.containerRoot(st, rec, img); err != nil {
		return nil, err
	}
	cfg, err := p.c.config(p.g, p.fs.Path(), o, p.ids, p.id)
	if err != nil {
		return nil, err
	}
	cfg.Overlay = p.fs.Overlay(st.Store)
	return cfg, nil
}

// containerRoot makes the container's root filesystem, or under a
// supervisor opens the one an earlier run of the container made (its
// changes persist across stop and start).
func (p *imageRun) containerRoot(st *imageStore, rec rootfs.Record, img store.Image) (*rootfs.Rootfs, error) {
	if p.g.sup != nil {
		if fs, err := rootfs.Open(st.Store, p.id); err == nil {
			return fs, nil
		}
	}
	return p.c.rootfs(p.g, st, rec, img)
}

// remove deletes the root filesystem after the run with --rm.
func (p *imageRun) remove() error {
	if !p.c.Rm || p.fs == nil {
		return nil
	}
	return rootfs.Remove(p.st.Store, p.id, p.st.jobs.RemoveAll)
}

func (p *imageRun) close() {
	if p.st != nil {
		p.st.Close()
	}
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
