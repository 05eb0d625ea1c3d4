package container

import (
	"errors"
	"fmt"
	"path/filepath"

	"nook/mounts"
)

// OverlayWorks says whether kernel overlayfs mounts in a user namespace on
// dir's filesystem (dir is in the image store, which holds the layers and
// every container's upper and work directories), by running the same probe
// as `nook info` in a scratch directory under dir. The image store records
// the answer once: true is the "overlay" driver, false (with a nil error)
// the "copy" one. An error means the probe itself could not run (dir not
// writable, no user namespace) and nothing should be recorded;
// ProbeOverlay gives the kernel's reason for a false.
func OverlayWorks(dir string) (bool, error) {
	err := ProbeOverlay(dir)
	var refused *probeRefusedError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &refused):
		return false, nil
	}
	return false, fmt.Errorf("probe overlay in %s: %w", dir, err)
}

// OverlayBeside is the root of `nook run --overlay-lower` (a hidden flag
// for tests until images exist): the given layers, topmost first, with
// upper/ and work/ beside merged, as the store lays out a container
// ($store/containers/<id>/{upper,work,merged}).
func OverlayBeside(merged string, lower []string) (*mounts.Overlay, error) {
	parent := filepath.Dir(merged)
	o := &mounts.Overlay{Upper: filepath.Join(parent, "upper"), Work: filepath.Join(parent, "work")}
	for _, l := range lower {
		abs, err := filepath.Abs(l)
		if err != nil {
			return nil, fmt.Errorf("overlay lower %s: %w", l, err)
		}
		o.Lower = append(o.Lower, abs)
	}
	return o, nil
}
