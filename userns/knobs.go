package userns

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The sysctls that decide whether an unprivileged user may create a user
// namespace, relative to the proc root. Each exists only on some kernels.
const (
	knobMaxUserNS   = "sys/user/max_user_namespaces"                     // upstream, 0 disables
	knobDebianClone = "sys/kernel/unprivileged_userns_clone"             // Debian/Arch patch, 0 disables
	knobAppArmor    = "sys/kernel/apparmor_restrict_unprivileged_userns" // Ubuntu 23.10+, 1 restricts
)

// readKnob returns the integer in procRoot/rel; ok is false when the file is
// missing or does not hold a number, which callers treat as "knob not set".
func readKnob(procRoot, rel string) (v int64, ok bool) {
	b, err := os.ReadFile(filepath.Join(procRoot, rel))
	if err != nil {
		return 0, false
	}
	v, err = strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return v, err == nil
}

// seccompMode returns the "Seccomp:" field of procRoot/self/status (0 none,
// 1 strict, 2 filter); ok is false when the kernel or file does not say.
func seccompMode(procRoot string) (mode int, ok bool) {
	f, err := os.Open(filepath.Join(procRoot, "self", "status"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, found := strings.CutPrefix(sc.Text(), "Seccomp:"); found {
			mode, err := strconv.Atoi(strings.TrimSpace(v))
			return mode, err == nil
		}
	}
	return 0, false
}

// hasUserNSEntry reports whether procRoot/self/ns/user exists; the kernel
// creates that entry only when built with CONFIG_USER_NS.
func hasUserNSEntry(procRoot string) bool {
	_, err := os.Lstat(filepath.Join(procRoot, "self", "ns", "user"))
	return err == nil
}
