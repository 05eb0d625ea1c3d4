package hostinfo

import (
	"os"
	"path/filepath"
	"strings"
)

// driverCheck says how container root filesystems are assembled: what the
// store recorded when it first chose, or what it would choose.
func driverCheck(storeDir string, overlay Check) Check {
	const name = "rootfs driver"
	if b, err := os.ReadFile(filepath.Join(storeDir, "driver")); err == nil {
		switch d := strings.TrimSpace(string(b)); d {
		case "overlay":
			return ok(name, "overlay (kernel overlayfs in the user namespace)")
		case "copy":
			return problem(name, "copy (each container gets a copy of its image's layers)",
				"once kernel overlayfs works here (see overlay in userns), remove "+filepath.Join(storeDir, "driver")+" so nook chooses again")
		}
	}
	if overlay.OK {
		return ok(name, "overlay (chosen on first use)")
	}
	return ok(name, "copy (chosen on first use: overlay is refused here)")
}
