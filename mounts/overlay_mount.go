package mounts

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// mountOverlay mounts o at dst, the root's mount point. The new mount API
// takes each layer as one fsconfig value ("lowerdir+", Linux 6.8), so the
// number of layers is not bounded by mount(2)'s one page of options; an
// older kernel refuses "lowerdir+" with EINVAL and gets mount(2).
func (e *executor) mountOverlay(o Overlay, dst string) error {
	if err := checkOverlay(o); err != nil {
		return fmt.Errorf("overlay rootfs: %w", err)
	}
	err := e.mountOverlayFsconfig(o, dst)
	if errors.Is(err, unix.EINVAL) {
		// mount(2) parses the same options: on a kernel that has
		// "lowerdir+", it fails as fsconfig did, and says so.
		if legacyErr := e.mountOverlayLegacy(o, dst); errors.Is(legacyErr, errTooLong) {
			err = fmt.Errorf("%w; %v", err, legacyErr)
		} else {
			err = legacyErr
		}
	}
	if err != nil {
		return fmt.Errorf("mount overlay rootfs: %w", explainOverlay(err))
	}
	return nil
}

var errTooLong = errors.New("mount(2) fallback: options too long")

func (e *executor) mountOverlayFsconfig(o Overlay, dst string) error {
	if !fitsFsconfig(o) {
		base, rel := relative(o)
		if !fitsFsconfig(rel) {
			return fmt.Errorf("a layer path is longer than %d bytes, even relative to %s", maxFsconfigValue, base)
		}
		if err := e.chdir(base); err != nil {
			return err
		}
		o = rel
	}
	return e.sys.MountOverlay(o, dst)
}

// mountOverlayLegacy uses mount(2), whose options must fit in a page.
func (e *executor) mountOverlayLegacy(o Overlay, dst string) error {
	data := mountData(o)
	if len(data) > maxMountData {
		base, rel := relative(o)
		if data = mountData(rel); len(data) > maxMountData {
			return fmt.Errorf("%w: %d layers need %d bytes, more than the page (%d) a kernel without fsconfig \"lowerdir+\" (Linux < 6.8) takes",
				errTooLong, len(o.Lower), len(data), maxMountData)
		}
		if err := e.chdir(base); err != nil {
			return err
		}
	}
	return e.sys.Mount("overlay", dst, "overlay", 0, data)
}

// chdir moves the init's working directory to where relative layer paths
// start. The init is single-purpose and every later path it uses is
// absolute or relative to a descriptor (PivotRoot changes it again), so
// nothing else depends on it.
func (e *executor) chdir(dir string) error {
	if err := e.sys.Chdir(dir); err != nil {
		return fmt.Errorf("chdir to %s: %w", dir, err)
	}
	return nil
}

func explainOverlay(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("%w (kernel overlayfs in a user namespace needs Linux 5.11+ and layers on a filesystem with user extended attributes; `nook info` checks both)", err)
	}
	return err
}
