package nsinit

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ProbeArg is the hidden first argument of `nook info`'s probes, which run
// in namespaces of their own and report by exit status and stderr.
const ProbeArg = "__nook_probe"

// Probe runs the probe named by args[0] and exits.
func Probe(args []string) {
	var err error
	switch {
	case len(args) == 1 && args[0] == "userns":
	case len(args) == 2 && args[0] == "overlay":
		err = probeOverlay(args[1])
	default:
		err = fmt.Errorf("unknown probe %q", args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// probeOverlay mounts an overlay with user xattrs (the rootless kind, Linux
// 5.11+) in dir, which the caller made and removes.
func probeOverlay(dir string) error {
	names := []string{"lower", "upper", "work", "merged"}
	for _, n := range names {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr",
		filepath.Join(dir, "lower"), filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	merged := filepath.Join(dir, "merged")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay: %w", err)
	}
	return unix.Unmount(merged, unix.MNT_DETACH)
}
