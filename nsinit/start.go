package nsinit

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/messages"
	"nook/mounts"
)

// start runs the setup in the order the kernel needs it: mounts need the
// host's /proc (for descriptor paths), so they all happen before pivot_root;
// the user is looked up in the container's own /etc afterwards.
func start(c *messages.Config, pre early) error {
	s := c.Spec
	if err := finishNetwork(c, pre); err != nil {
		return err
	}
	if err := assemble(c); err != nil {
		return err
	}
	if hasNamespace(s, specs.UTSNamespace) && s.Hostname != "" {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", s.Hostname, err)
		}
	}
	u, err := resolveUser("/etc", s.Process.User.Username, s.Linux, c.IDNote)
	if err != nil {
		return err
	}
	env := defaultEnv(s.Process.Env, u, s.Hostname, s.Process.Terminal)
	if err := enterWorkdir(s.Process.Cwd); err != nil {
		return err
	}
	if err := setupStdio(s.Process, c.Stdin); err != nil {
		return err
	}
	path, err := lookPath(s.Process.Args[0], env)
	if err != nil {
		return err
	}
	return launch(command{proc: s.Process, seccomp: c.Seccomp, reaper: c.Init, user: u, path: path, env: env})
}

func assemble(c *messages.Config) error {
	ops, err := mounts.Plan(mounts.Input{Spec: c.Spec, Files: c.Files, HostRoot: c.HostRoot})
	if err != nil {
		return err
	}
	if c.Debug {
		if c.Overlay != nil {
			fmt.Fprintf(os.Stderr, "nook: root %s on %s\n", c.Overlay, c.Spec.Root.Path)
		}
		for _, op := range ops {
			fmt.Fprintf(os.Stderr, "nook: %s\n", op)
		}
	}
	root, err := mounts.Apply(mounts.Kernel{}, c.Spec.Root.Path, c.Overlay, ops)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	return mounts.PivotRoot(root)
}

func hasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s.Linux == nil {
		return false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// enterWorkdir changes to the working directory, creating it as Docker does.
func enterWorkdir(dir string) error {
	if dir == "" {
		dir = "/"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create working directory %s: %w", dir, err)
	}
	if err := unix.Chdir(dir); err != nil {
		return fmt.Errorf("chdir to working directory %s: %w", dir, err)
	}
	return nil
}

// loopbackUp brings lo up: a new network namespace starts with it down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring up lo: socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring up lo: get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring up lo: set flags: %w", err)
	}
	return nil
}
