package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"nook/store"
)

// Driver returns the store's driver, probing and recording it the first
// time: overlayfs support depends on the kernel and on the filesystem the
// store is on, neither of which changes under a store in practice (rm the
// file to probe again). announce is called once, when it is recorded.
func Driver(st *store.Store, probe func(dir string) (bool, error), announce func(string)) (string, error) {
	file := filepath.Join(st.Root, "driver")
	if b, err := os.ReadFile(file); err == nil {
		if d := strings.TrimSpace(string(b)); d == Overlay || d == Copy {
			return d, nil
		}
	}
	ok, err := probe(st.Root)
	if err != nil {
		return "", fmt.Errorf("choose how to assemble root filesystems: %w", err)
	}
	d, msg := Overlay, "container root filesystems are kernel overlayfs mounts of the image layers (recorded in "+file+")"
	if !ok {
		d, msg = Copy, "kernel overlayfs is refused here, so each container gets a copy of its image's layers, which is slower (recorded in "+file+"; nook info says why)"
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(d+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("record driver: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return "", fmt.Errorf("record driver: %w", err)
	}
	announce(msg)
	return d, nil
}
