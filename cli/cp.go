package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/lifecycle"
	"nook/safecopy"
)

type cpCmd struct {
	Archive    bool   `short:"a" help:"Keep the owners of what is copied (only ids the container has that the caller can give)."`
	FollowLink bool   `short:"L" help:"Follow a symlink in SRC_PATH (the source's own only)."`
	Quiet      bool   `short:"q" help:"Accepted for Docker's sake: nook cp prints no progress."`
	Src        string `arg:"" placeholder:"SRC" help:"CONTAINER:SRC_PATH, a host path, or - for a tar stream on stdin."`
	Dst        string `arg:"" placeholder:"DEST" help:"CONTAINER:DEST_PATH, a host path, or - for a tar stream on stdout."`
}

// cpArg is one side of nook cp: a path in a container or on the host.
type cpArg struct {
	ctr, path string
}

// splitCpArg reads docker cp's CONTAINER:PATH; an absolute path, or one
// whose part before the colon starts with ".", is the host's, so that a
// host file with a colon in its name can be given as ./a:b.
func splitCpArg(arg string) cpArg {
	if filepath.IsAbs(arg) {
		return cpArg{path: arg}
	}
	ctr, p, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(ctr, ".") {
		return cpArg{path: arg}
	}
	return cpArg{ctr: ctr, path: p}
}

func (c *cpCmd) Run(g *globals) error {
	src, dst := splitCpArg(c.Src), splitCpArg(c.Dst)
	err := checkCpArgs(src, dst)
	if err == nil {
		err = c.copy(g, src, dst)
	}
	if err != nil {
		return failed(fmt.Errorf("copy %s to %s: %w", c.Src, c.Dst, err))
	}
	return nil
}

func checkCpArgs(src, dst cpArg) error {
	switch {
	case src.ctr != "" && dst.ctr != "":
		return errors.New("copying between containers is not supported: copy to the host first")
	case src.ctr == "" && dst.ctr == "":
		return errors.New("neither side is in a container: give CONTAINER:PATH as the source or the destination")
	case src.path == "" || dst.path == "":
		return errors.New("a path is empty: give CONTAINER:PATH (/ for the container's root)")
	case src.path == "-" && dst.path == "-":
		return errors.New("- on both sides: one side must be a path")
	}
	return nil
}

func (c *cpCmd) copy(g *globals, src, dst cpArg) error {
	ref := src.ctr + dst.ctr
	ctr, root, err := openContainerRoot(ref)
	if err != nil {
		return err
	}
	defer root.Close()
	o := safecopy.Options{FollowLink: c.FollowLink, KeepOwners: c.Archive}
	switch {
	case src.ctr != "" && dst.path == "-":
		err = safecopy.WriteTar(root, src.path, g.Stdout, o)
	case src.ctr != "":
		// docker cp keeps no owners on the way out (-a is for the way in):
		// the copies are the caller's.
		o.KeepOwners = false
		err = safecopy.Copy(root, src.path, safecopy.Host(), dst.path, o)
	case src.path == "-":
		err = safecopy.ExtractTar(os.Stdin, root, dst.path, o)
	default:
		err = safecopy.Copy(safecopy.Host(), src.path, root, dst.path, o)
	}
	return explainCp(err, root, ctr.Name)
}

// openContainerRoot opens the root filesystem of the container ref names:
// a running container's as its PID 1 sees it (with its volumes and
// tmpfs), a stopped --rootfs container's directory as it is on the host.
func openContainerRoot(ref string) (lifecycle.Container, *safecopy.Root, error) {
	ls, err := openLifecycle()
	if err != nil {
		return lifecycle.Container{}, nil, err
	}
	ctr, err := ls.Resolve(ref)
	if err != nil {
		return ctr, nil, err
	}
	var root *safecopy.Root
	switch {
	case ctr.State == lifecycle.Running:
		root, err = procRoot(ls, ctr)
	case ctr.Rootfs != "":
		root, err = rootfsRoot(ctr)
	default:
		err = fmt.Errorf("container %s is not running: start it, then nook cp", ctr.Name)
	}
	return ctr, root, err
}

// procRoot opens /proc/PID/root of the container's PID 1: the caller owns
// the container's user namespace, so the kernel lets it. The pid comes
// from the record, read before /proc/PID was opened: only if the record
// still says the container runs with that pid afterwards is that process
// its PID 1, and not one that got a recycled pid (whose root may be the
// host's). The /proc/PID descriptor stays with that process, whatever
// happens to the pid later.
func procRoot(ls *lifecycle.Store, ctr lifecycle.Container) (*safecopy.Root, error) {
	proc, err := unix.Open(fmt.Sprintf("/proc/%d", ctr.Pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("container %s stopped (its PID 1 is gone: %w)", ctr.Name, err)
	}
	defer unix.Close(proc)
	fd, err := unix.Openat(proc, "root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open the root filesystem of container %s (/proc/%d/root): %w", ctr.Name, ctr.Pid, err)
	}
	now, err := ls.Get(ctr.ID)
	if err != nil || now.State != lifecycle.Running || now.Pid != ctr.Pid || !now.StartedAt.Equal(ctr.StartedAt) {
		unix.Close(fd)
		return nil, fmt.Errorf("container %s stopped or restarted meanwhile: try again", ctr.Name)
	}
	uids, err := readIDMap(proc, "uid_map")
	if err == nil {
		var gids []specs.LinuxIDMapping
		if gids, err = readIDMap(proc, "gid_map"); err == nil {
			return safecopy.NewRoot(fd, uids, gids), nil
		}
	}
	unix.Close(fd)
	return nil, fmt.Errorf("container %s: %w", ctr.Name, err)
}

func readIDMap(proc int, name string) ([]specs.LinuxIDMapping, error) {
	fd, err := unix.Openat(proc, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("read its %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	m, err := safecopy.ParseIDMap(f)
	if err != nil {
		return nil, fmt.Errorf("read its %s: %w", name, err)
	}
	return m, nil
}

// rootfsRoot opens a stopped --rootfs container's directory, with the id
// maps its next start will have. Its volumes are not there.
func rootfsRoot(ctr lifecycle.Container) (*safecopy.Root, error) {
	dir := ctr.Rootfs
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(ctr.Dir, dir)
	}
	ids := containerIDs()
	return safecopy.OpenRoot(dir, ids.UIDs, ids.GIDs)
}

// explainCp adds what the kernel's "permission denied" means when it came
// from the container's side.
func explainCp(err error, root *safecopy.Root, name string) error {
	var pe *safecopy.PathError
	if !errors.As(err, &pe) || pe.Root != root || !errors.Is(err, unix.EACCES) {
		return err
	}
	return fmt.Errorf("%w in container %s (nook cp acts from the host as the container's root, which has no rights over"+
		" files of the container's other users that deny them: nook exec %s chmod or chown it first)", err, name, name)
}
