package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"nook/initbin"
	"nook/lifecycle"
	"nook/logs"
	"nook/store"
)

// superviseEnv names the container a re-executed `nook run` supervises:
// the detached container's own process, which outlives the command that
// started it (as conmon does for podman).
const superviseEnv = "NOOK_SUPERVISE"

// programFD is where the supervisor finds the init program, and the
// next descriptor the pipe that says it is sealed, when programEnv
// names it.
const (
	programFD  = 4
	programEnv = "NOOK_INIT_FD"
)

// readyFD is the supervisor's end of the pipe that says the container runs.
const readyFD = 3

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
func recordContainer(cfg lifecycle.Config) (*lifecycle.Store, error) {
	ls, err := openLifecycle()
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = ls.GenerateName()
	}
	return ls, ls.Create(cfg)
}

// detach records the container and starts its supervisor, then prints its
// id once it runs (or the reason it could not start).
func (c *runCmd) detach(g *globals) error {
	go warmProcessStart()
	cfg, err := c.lifecycleConfig()
	if err != nil {
		return err
	}
	ls, err := recordContainer(cfg)
	if err != nil {
		return err
	}
	ctr, err := ls.Get(cfg.ID)
	if err == nil {
		err = startSupervisor(g, ls, ctr)
	}
	if err != nil {
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
func (c *runCmd) lifecycleConfig() (lifecycle.Config, error) {
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
	dir, err := os.Getwd()
	if err != nil {
		return lifecycle.Config{}, fmt.Errorf("working directory: %w", err)
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

// startSupervisor starts ctr's supervisor: `nook` again with the run
// command line, in its own session, with nothing of the caller's but the
// working directory and environment recorded at create. Until the
// container runs its stderr is the caller's, so a failure to start reads
// exactly as it would in the foreground; it then says "ready" on fd 3.
func startSupervisor(g *globals, ls *lifecycle.Store, ctr lifecycle.Container) error {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return err
	}
	defer errR.Close()
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find nook's own binary: %w", err)
	}
	// By its path, not /proc/self/exe: the supervisor then shows as
	// "nook" in ps.
	cmd := exec.Command(self, ctr.Args...)
	cmd.Dir, cmd.Env = ctr.Dir, append(withoutEnv(ctr.Env, superviseEnv), superviseEnv+"="+ctr.ID)
	cmd.Stderr, cmd.ExtraFiles = errW, []*os.File{readyW}
	if prog, sealed, ok := initbin.Handoff(); ok {
		// Its copy of the init program, which it would otherwise make
		// again, still being made (initbin.Inherit).
		cmd.ExtraFiles = append(cmd.ExtraFiles, prog, sealed)
		cmd.Env = append(cmd.Env, programEnv+"="+strconv.Itoa(programFD))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	readyW.Close()
	errW.Close()
	if err != nil {
		return fmt.Errorf("start the supervisor of container %s: %w", ctr.Name, err)
	}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(g.Stderr, errR)
		close(copied)
	}()
	line, _ := bufio.NewReader(readyR).ReadString('\n')
	if line == "ready\n" {
		<-copied
		_ = cmd.Process.Release()
		return nil
	}
	werr := cmd.Wait()
	<-copied
	var ee *exec.ExitError
	if errors.As(werr, &ee) && ee.ExitCode() > 0 {
		return exitError{ee.ExitCode()}
	}
	return fmt.Errorf("the supervisor of container %s exited before the container ran: %v", ctr.Name, werr)
}

func withoutEnv(env []string, name string) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// warmProcessStart makes the Go runtime check, once per process, that
// pidfds work, which it otherwise does inside the first os/exec start: a
// throwaway vfork child that, on two busy processors, can keep that start
// (the supervisor's, the id-map helpers') waiting for milliseconds. Run
// in a goroutine early on, it costs the start nothing.
func warmProcessStart() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Release()
	}
}
