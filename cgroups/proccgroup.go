package cgroups

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// parseProcCgroup returns the cgroup v2 path from a /proc/PID/cgroup file: the
// "0::PATH" line. The kernel omits that line until a cgroup2 file system has been
// mounted once, so found is false on pure v1 hosts.
func parseProcCgroup(r io.Reader) (path string, found bool, err error) {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		// The path is last and may itself contain colons.
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			return "", false, fmt.Errorf("proc cgroup line %d: malformed %q", n, line)
		}
		if f[0] == "0" && f[1] == "" {
			path, found = f[2], true
		}
	}
	if err := sc.Err(); err != nil {
		return "", false, fmt.Errorf("read proc cgroup: %w", err)
	}
	return path, found, nil
}
