package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/headstart"
	"nook/initbin"
	"nook/lifecycle"
	"nook/logs"
	"nook/store"
	"nook/userns"
)

const defaultLogMax = 10 << 20

// openLifecycle opens the container records beside the image store.
func openLifecycle() (*lifecycle.Store, error) {
	root, err := store.DefaultRoot()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", root, err)
	}
	return lifecycle.Open(filepath.Join(root, "lifecycle"))
}

// resolveContainer opens the records and finds the container ref names.
func resolveContainer(ref string) (*lifecycle.Store, lifecycle.Container, error) {
	ls, err := openLifecycle()
	if err != nil {
		return nil, lifecycle.Container{}, err
	}
	ctr, err := ls.Resolve(ref)
	return ls, ctr, err
}

// recordContainer records cfg (create, run -d), naming it when unnamed.
func recordContainer(cfg lifecycle.Config) (*lifecycle.Store, lifecycle.Container, error) {
	ls, err := openLifecycle()
	if err != nil {
		return nil, lifecycle.Container{}, err
	}
	if cfg.Name == "" {
		cfg.Name = ls.GenerateName()
	}
	if err := ls.Create(cfg); err != nil {
		return ls, lifecycle.Container{}, err
	}
	return ls, ls.Fresh(cfg), nil
}

// detach records the container and starts its supervisor, then prints its
// id once it runs (or the reason it could not start). The supervisor
// usually started already, from package initialization (headstart).
func (c *runCmd) detach(g *globals) error {
	sup := headstart.Early()
	if sup == nil {
		dir, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
		if sup, err = headstart.Spawn(g.Stderr, os.Args[1:], dir, os.Environ(), headstart.Pending); err != nil {
			return err
		}
	}
	cfg, err := c.lifecycleConfig(sup.Dir)
	if err != nil {
		sup.Abandon()
		return err
	}
	ls, ctr, err := recordContainer(cfg)
	if err != nil {
		sup.Abandon()
		return err
	}
	if err = handTo(sup, ctr); err != nil {
		// A container that never ran is not left behind, unless it must
		// restart (then its supervisor is what failed, and says so).
		if c, gerr := ls.Get(cfg.ID); gerr == nil && c.StartedAt.IsZero() {
			_ = ls.Remove(c)
		}
		return err
	}
	fmt.Fprintln(g.Stdout, cfg.ID)
	return nil
}

// lifecycleConfig is the record of the container c runs.
func (c *runCmd) lifecycleConfig(dir string) (lifecycle.Config, error) {
	if c.Name != "" {
		if err := lifecycle.ValidName(c.Name); err != nil {
			return lifecycle.Config{}, err
		}
	}
	restart, err := parseRestart(c.Restart)
	if err != nil {
		return lifecycle.Config{}, err
	}
	if c.Rm && restart.Name != "no" {
		return lifecycle.Config{}, fmt.Errorf("--rm and --restart=%s conflict: a container removed when it exits cannot be restarted", c.Restart)
	}
	maxSize, err := logMaxSize(c.LogOpt)
	if err != nil {
		return lifecycle.Config{}, err
	}
	if c.Interactive {
		return lifecycle.Config{}, usage("-d and -i conflict: a detached container has no stdin (use nook exec -i later)")
	}
	parsed, err := json.Marshal(c)
	if err != nil {
		return lifecycle.Config{}, fmt.Errorf("record the run's flags: %w", err)
	}
	cfg := lifecycle.Config{ID: lifecycle.NewID(), Name: c.Name, Created: time.Now().UTC(),
		Args: os.Args[1:], Run: parsed, Dir: dir, Env: os.Environ(), AutoRemove: c.Rm, Restart: restart, LogMaxSize: maxSize}
	if cfg.Labels, err = parseLabels(c.Label); err != nil {
		return lifecycle.Config{}, err
	}
	cmd := c.Command
	if len(cmd) > 0 && cmd[0] == "--" {
		cmd = cmd[1:]
	}
	if c.Rootfs != "" {
		cfg.Rootfs, cfg.Command = c.Rootfs, cmd
	} else if len(cmd) > 0 {
		cfg.Image, cfg.Command = cmd[0], cmd[1:]
	}
	return cfg, nil
}

func parseLabels(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, l := range flags {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return nil, fmt.Errorf("invalid --label %q: give KEY=VALUE or KEY", l)
		}
		out[k] = v
	}
	return out, nil
}

func parseRestart(s string) (lifecycle.RestartPolicy, error) {
	name, n, hasN := strings.Cut(s, ":")
	p := lifecycle.RestartPolicy{Name: name}
	switch {
	case (name == "no" || name == "always" || name == "unless-stopped") && !hasN:
		return p, nil
	case name == "on-failure" && !hasN:
		return p, nil
	case name == "on-failure":
		max, err := strconv.Atoi(n)
		if err == nil && max >= 0 {
			p.MaxRetries = max
			return p, nil
		}
	}
	return p, fmt.Errorf("invalid --restart %q: use no, on-failure, on-failure:N (N retries), always or unless-stopped", s)
}

func logMaxSize(opts []string) (int64, error) {
	size := int64(defaultLogMax)
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k != "max-size" {
			return 0, fmt.Errorf("invalid --log-opt %q: nook knows max-size=SIZE (e.g. max-size=10m)", o)
		}
		n, err := logs.ParseSize(v)
		if err != nil {
			return 0, err
		}
		size = n
	}
	return size, nil
}

// startSupervisor starts ctr's supervisor and returns once the container
// runs, or with the reason it does not.
func startSupervisor(g *globals, ls *lifecycle.Store, ctr lifecycle.Container) error {
	sup, err := headstart.Spawn(g.Stderr, ctr.Args, ctr.Dir, ctr.Env, ctr.ID)
	if err != nil {
		return err
	}
	return supervisorRan(sup.Wait(nil), ctr.Name)
}

// handTo gives a pending supervisor the record of the container it
// supervises, then waits for it as startSupervisor does. The init
// program's copy is written from now on, beside the supervisor's set-up.
func handTo(sup *headstart.Supervisor, ctr lifecycle.Container) error {
	initbin.Prefetch()
	line, err := json.Marshal(handed{Config: ctr.Config, Status: ctr.Status})
	if err == nil {
		err = sup.Hand(line)
	}
	if err != nil {
		sup.Abandon()
		return fmt.Errorf("start the supervisor of container %s: %w", ctr.Name, err)
	}
	return supervisorRan(sup.Wait(mapGIDsFor), ctr.Name)
}

// mapGIDsFor writes the gid map of the container a supervisor started,
// while the supervisor writes its uid map (see headstart's gidmap.go).
func mapGIDsFor(pid int, m []specs.LinuxIDMapping) error {
	ids := containerIDs()
	if ids.Helpers == nil {
		return userns.ErrNotDelegated
	}
	w, err := ids.Helpers.Start(pid, nil, m)
	if err == nil {
		err = w.Wait()
	}
	if err != nil {
		return errors.New(userns.ExplainHelperFailure(err, *ids.Helpers, ids.SubUIDs, ids.SubGIDs))
	}
	return nil
}

// supervisorRan is the outcome of a supervisor's start for run -d and
// start: its own status when it exited with one.
func supervisorRan(err error, name string) error {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		return exitError{ee.ExitCode()}
	}
	return fmt.Errorf("the supervisor of container %s %v", name, err)
}
