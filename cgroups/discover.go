package cgroups

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Host is what the caller's cgroup setup allows. Paths are as seen in the
// caller's mount namespace.
type Host struct {
	Version Version `json:"version"`
	// Mount is where the cgroup2 hierarchy is mounted, "" if none.
	Mount string `json:"mount"`
	// Own is the caller's cgroup v2 path relative to its cgroup namespace root,
	// from the "0::" line of /proc/self/cgroup; "" if there is none.
	Own string `json:"own"`
	// Dir is Own's directory under Mount, "" when that mount does not show it
	// (e.g. a cgroup2 mount made in another cgroup namespace).
	Dir string `json:"dir"`
	// Controllers are those available in the caller's cgroup (its cgroup.controllers).
	Controllers []string `json:"controllers"`
	// Writable is the delegation point: starting at the nearest ancestor-or-self
	// of Dir whose cgroup.procs and cgroup.subtree_control the caller can write,
	// the highest cgroup reached while they stay writable (e.g. user@1000.service).
	// There nook creates child cgroups; being a common ancestor of Dir, it lets
	// nook move processes into them. "" if none.
	Writable string `json:"writable"`
	// Delegated are the controllers the caller can enable for children of
	// Writable (Writable's cgroup.controllers).
	Delegated []string `json:"delegated"`
	// SystemdUserBus is whether $XDG_RUNTIME_DIR/bus is a socket, i.e. a systemd
	// user manager could create a delegated scope for us.
	SystemdUserBus bool `json:"systemd_user_bus"`
}

// Discover reads procRoot/self/mountinfo and procRoot/self/cgroup (procRoot is
// normally "/proc") and the cgroup2 file system they point at. xdgRuntimeDir is
// $XDG_RUNTIME_DIR, "" if unset.
func Discover(procRoot, xdgRuntimeDir string) (Host, error) {
	mi, err := os.Open(filepath.Join(procRoot, "self", "mountinfo"))
	if err != nil {
		return Host{}, fmt.Errorf("discover cgroups: %w", err)
	}
	defer mi.Close()
	cg, err := os.Open(filepath.Join(procRoot, "self", "cgroup"))
	if err != nil {
		return Host{}, fmt.Errorf("discover cgroups: %w", err)
	}
	defer cg.Close()

	h, err := discover(mi, cg, "/", canWrite)
	if err != nil {
		return Host{}, fmt.Errorf("discover cgroups: %w", err)
	}
	if xdgRuntimeDir != "" {
		h.SystemdUserBus = isSocket(filepath.Join(xdgRuntimeDir, "bus"))
	}
	return h, nil
}

// canWrite uses access(2) rather than comparing owners so that root, read-only
// mounts (EROFS) and ACLs come out the way the kernel will decide them.
func canWrite(p string) bool {
	return unix.Access(p, unix.W_OK) == nil
}

func isSocket(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&fs.ModeSocket != 0
}

// discover is Discover with its inputs explicit: fsRoot is prefixed to every path
// read from the mount table, and canWrite receives those prefixed paths.
func discover(mountinfo, procCgroup io.Reader, fsRoot string, canWrite func(path string) bool) (Host, error) {
	mounts, err := ParseMountInfo(mountinfo)
	if err != nil {
		return Host{}, err
	}
	own, found, err := parseProcCgroup(procCgroup)
	if err != nil {
		return Host{}, err
	}
	h := Host{Version: versionOf(mounts), Own: own}
	m, ok := unifiedMount(mounts, own)
	if !ok {
		return h, nil
	}
	h.Mount = m.MountPoint
	if !found {
		return h, nil
	}
	rel, ok := relativeTo(m.Root, own)
	if !ok {
		return h, nil
	}
	dir := path.Join(m.MountPoint, rel)
	if st, err := os.Stat(filepath.Join(fsRoot, dir)); err != nil || !st.IsDir() {
		// The mount shows a different part of the hierarchy than our cgroup.
		return h, nil
	}
	h.Dir = dir
	if h.Controllers, err = readControllers(filepath.Join(fsRoot, dir)); err != nil {
		return Host{}, err
	}
	h.Writable = delegationPoint(dir, m.MountPoint, func(d string) bool {
		return canWrite(filepath.Join(fsRoot, d, "cgroup.subtree_control")) &&
			canWrite(filepath.Join(fsRoot, d, "cgroup.procs"))
	})
	if h.Writable != "" {
		if h.Delegated, err = readControllers(filepath.Join(fsRoot, h.Writable)); err != nil {
			return Host{}, err
		}
	}
	return h, nil
}

// readControllers reads dir/cgroup.controllers. A missing file reads as no
// controllers: cgroup2 always has it, so its absence means dir is not a cgroup.
func readControllers(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read controllers: %w", err)
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f, nil
	}
	return nil, nil
}
