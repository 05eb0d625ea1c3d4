package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/term"
	"nook/cgroups"
	"nook/container"
	"nook/headstart"
	"nook/initbin"
	"nook/lifecycle"
	"nook/messages"
	"nook/spec"
	"nook/state"
)

func (c *runCmd) Run(g *globals) error {
	if c.Detach {
		return c.detach(g)
	}
	initbin.Prefetch()
	// A "-d" among the command's arguments made it look detached.
	headstart.Unclaimed()
	if err := c.foregroundOnly(); err != nil {
		return err
	}
	return c.runContainer(g)
}

// runContainer runs the container once, in the foreground or under its
// supervisor (g.sup).
func (c *runCmd) runContainer(g *globals) error {
	if c.Rootfs == "" {
		return c.runImage(g)
	}
	rootfs, err := filepath.Abs(c.Rootfs)
	if err != nil {
		return fmt.Errorf("rootfs %s: %w", c.Rootfs, err)
	}
	ids := containerIDs()
	o, err := c.isolation.options(c.Command, ids)
	if err != nil {
		return err
	}
	o.User, o.ReadOnly = c.User, c.ReadOnly
	id := g.containerID()
	cfg, err := c.config(g, rootfs, o, ids, id)
	if err != nil {
		return err
	}
	if len(c.OverlayLower) > 0 {
		if cfg.Overlay, err = container.OverlayBeside(rootfs, c.OverlayLower); err != nil {
			return err
		}
	}
	pp := &publishedPorts{asked: c.publishing()}
	defer pp.close()
	if err := pp.bind(c, nil, id, g.portsName(cfg.Spec.Hostname)); err != nil {
		return err
	}
	return start(g, cfg, ids, &c.resources, id, nil, pp)
}

// config is the init's config for a container on rootfs.
func (c *runCmd) config(g *globals, rootfs string, o spec.Options, ids idPlan, id string) (*messages.Config, error) {
	if o.Hostname == "" {
		o.Hostname = defaultHostname(c.net.Mode, id)
	}
	s, err := spec.Container(rootfs, o)
	if err != nil {
		return nil, err
	}
	cfg := c.isolation.config(s, g)
	cfg.Files = spec.NetworkEtcFiles(o.Hostname, c.net.etc(), c.net.hostResolv())
	cfg.IDNote = ids.Note
	return cfg, nil
}

// options checks the shared flags and turns them into spec options.
func (f *isolation) options(cmd []string, ids idPlan) (spec.Options, error) {
	if len(cmd) > 0 && cmd[0] == "--" {
		cmd = cmd[1:]
	}
	if len(cmd) == 0 {
		return spec.Options{}, usage("no command given")
	}
	if f.Workdir != "" && !path.IsAbs(f.Workdir) {
		return spec.Options{}, fmt.Errorf("invalid --workdir %q: the working directory must be an absolute path", f.Workdir)
	}
	if err := f.readNetwork(); err != nil {
		return spec.Options{}, err
	}
	env, err := f.environment()
	if err != nil {
		return spec.Options{}, err
	}
	o := spec.Options{
		Args: cmd, Env: env, Workdir: f.Workdir, Hostname: f.Hostname,
		Terminal: f.TTY, CapAdd: f.CapAdd, CapDrop: f.CapDrop, Network: f.net.Mode,
		NoNewPrivileges: true, Rootless: ids.Rootless, UIDMap: ids.UIDs, GIDMap: ids.GIDs,
		CgroupWritable: f.CgroupnsRW, Unmask: unmasked(f.SecurityOpt),
	}
	if o.NoNewPrivileges, err = noNewPrivileges(f.SecurityOpt); err != nil {
		return o, err
	}
	if o.Volumes, err = volumes(f.Volume); err != nil {
		return o, err
	}
	for _, t := range f.Tmpfs {
		m, err := spec.ParseTmpfs(t)
		if err != nil {
			return o, err
		}
		o.Tmpfs = append(o.Tmpfs, m)
	}
	return o, nil
}

func (f *isolation) environment() ([]string, error) {
	var fromFiles []string
	for _, name := range f.EnvFile {
		file, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("env file: %w", err)
		}
		env, err := spec.ParseEnvFile(file, name)
		file.Close()
		if err != nil {
			return nil, err
		}
		fromFiles = append(fromFiles, env...)
	}
	var flags []string
	for _, e := range f.Env {
		entry, err := spec.EnvEntry(e)
		if err != nil {
			return nil, err
		}
		if entry != "" {
			flags = append(flags, entry)
		}
	}
	return spec.MergeEnv(fromFiles, flags), nil
}

func volumes(flags []string) ([]spec.Volume, error) {
	var vs []spec.Volume
	for _, v := range flags {
		vol, err := spec.ParseVolume(v)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(vol.Source); err != nil {
			return nil, volumeSourceError(vol.Source, err)
		}
		vs = append(vs, vol)
	}
	return vs, nil
}

// volumeSourceError tells a missing source from one that exists but that
// the caller, whose permissions nook has, cannot reach.
func volumeSourceError(src string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("volume source %s does not exist: create it first or fix the path", src)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("volume source %s cannot be reached (%v): nook runs with your permissions, so you need search (x) permission on every directory above it", src, err)
	}
	return fmt.Errorf("volume source %s: %v", src, err)
}

func (f *isolation) config(s *specs.Spec, g *globals) *messages.Config {
	if f.TTY {
		s.Process.ConsoleSize = consoleSize()
	}
	cfg := &messages.Config{Spec: s, Init: f.Init, Stdin: f.Interactive, Seccomp: seccompOn(f.SecurityOpt), Debug: g.Debug,
		Network: f.net.initConfig()}
	if g.Debug {
		b, _ := json.MarshalIndent(s, "", "  ")
		fmt.Fprintf(g.Stderr, "%s\n", b)
	}
	return cfg
}

// start runs the container; prepare, when set, makes the final config
// while the init starts (container.Run.Prepare).
func start(g *globals, cfg *messages.Config, ids idPlan, res *resources, id string, prepare func() (*messages.Config, error), pp *publishedPorts) error {
	// Cgroups and stats show ids as ps does: 12 hex digits.
	cg, err := res.cgroup(shortID(id))
	if err != nil {
		return err
	}
	r := &container.Run{Config: cfg, Helpers: ids.Helpers, SubUIDs: ids.SubUIDs, SubGIDs: ids.SubGIDs,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Cgroup: cg, Prepare: prepare}
	if pp != nil {
		// Only published ports need the agent at the clone (exec needs
		// it under a supervisor, which sets it).
		r.OnNetwork, r.Agent = pp.onNetwork, pp.asked
	}
	if cg != nil {
		r.Started = func(pid int) func() {
			return register(shortID(id), g.portsName(r.Config.Spec.Hostname), r.Config, cg)(pid)
		}
	}
	if g.sup != nil {
		g.sup.attach(r, pp)
	}
	code, err := r.Start()
	if r.OOMKilled {
		fmt.Fprintf(os.Stderr, "nook: %s\n", oomMessage(res.Memory))
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return exitError{code}
	}
	return nil
}

func oomMessage(memory string) string {
	l, err := cgroups.ParseSize(memory)
	if memory == "" || err != nil {
		return "OOM killed: the container ran out of memory"
	}
	// "64MiB" as docker stats writes sizes, "64 MiB" in a sentence.
	size := cgroups.FormatBytes(uint64(l))
	unit := strings.IndexFunc(size, func(r rune) bool { return r >= 'A' && r <= 'Z' })
	if unit > 0 {
		size = size[:unit] + " " + size[unit:]
	}
	return "OOM killed: memory limit " + size + " reached"
}

// register records a container with a cgroup for `nook stats` while it runs.
func register(id, name string, cfg *messages.Config, cg *cgroups.Cgroup) func(int) func() {
	return func(pid int) func() {
		rec := state.Running{ID: id, Name: name, Command: strings.Join(cfg.Spec.Process.Args, " "),
			Pid: pid, Cgroup: cg.Dir, Created: time.Now()}
		if rec.Name == "" {
			rec.Name = id
		}
		done, err := state.Register(state.Dir(), rec)
		if err != nil {
			fmt.Fprintf(os.Stderr, "nook: %v\n", err)
			return func() {}
		}
		return done
	}
}

// newID is a container's short id: 12 hex digits, as Docker shows them.
func consoleSize() *specs.Box {
	for _, fd := range []int{0, 1, 2} {
		if w, h, err := term.GetSize(fd); err == nil {
			return &specs.Box{Width: uint(w), Height: uint(h)}
		}
	}
	return nil
}

// defaultHostname is the container's id, as Docker does; with the host's
// network the host's name is kept, as Docker does too.
func defaultHostname(network, id string) string {
	if network == "host" {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return shortID(id)
}

// shortID is an id as ps shows it: 12 hex digits.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// containerID is the id of the container this run makes: the supervised
// one's, or a new one.
func (g *globals) containerID() string {
	if g.sup != nil {
		return g.sup.ctr.ID
	}
	return lifecycle.NewID()
}

// portsName is the name nook port and stats find a container by: a
// detached container's name, else its host name.
func (g *globals) portsName(hostname string) string {
	if g.sup != nil {
		return g.sup.ctr.Name
	}
	return hostname
}

// foregroundOnly refuses the flags that only mean something with -d.
func (c *runCmd) foregroundOnly() error {
	switch {
	case c.Name != "":
		return usage("--name needs -d: a foreground container is not kept under a name (use -d, or --hostname)")
	case c.Restart != "no":
		return usage("--restart needs -d: only a detached container has a supervisor to restart it")
	case len(c.Label) > 0:
		return usage("--label needs -d: labels are kept with a detached container's record")
	case len(c.LogOpt) > 0:
		return usage("--log-opt needs -d: a foreground container's output goes to your terminal, not a log")
	}
	return nil
}

type usageErr string

func (e usageErr) Error() string { return string(e) }

func usage(msg string) error { return usageErr(msg) }
