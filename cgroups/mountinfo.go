package cgroups

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MountInfo is one line of /proc/PID/mountinfo (see proc_pid_mountinfo(5)).
// String fields are unescaped: the kernel writes space, tab, newline and
// backslash as \040, \011, \012 and \134.
type MountInfo struct {
	ID, Parent   int
	Root         string // the path inside the mounted file system that appears at MountPoint
	MountPoint   string
	FSType       string
	Source       string
	Options      string // per-mount options (rw, nosuid, relatime, ...)
	SuperOptions string // per-superblock options (for cgroup v1: the controllers)
}

// maxMountInfoLine allows for overlay mounts listing many lower directories,
// which exceed bufio.Scanner's 64 KiB default.
const maxMountInfoLine = 1 << 20

// ParseMountInfo parses a mountinfo file in kernel order (later lines may
// shadow earlier ones at the same mount point).
func ParseMountInfo(r io.Reader) ([]MountInfo, error) {
	var mounts []MountInfo
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxMountInfoLine)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		m, err := parseMountInfoLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", n, err)
		}
		mounts = append(mounts, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return mounts, nil
}

// parseMountInfoLine splits
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// The number of optional fields before "-" varies, so the separator is searched for.
func parseMountInfoLine(line string) (MountInfo, error) {
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	// The source and super options may be empty strings, which Fields drops;
	// only the file system type is mandatory after the separator.
	if sep < 0 || len(f) < sep+2 {
		return MountInfo{}, fmt.Errorf("malformed %q", line)
	}
	id, err := strconv.Atoi(f[0])
	if err != nil {
		return MountInfo{}, fmt.Errorf("mount id %q: %w", f[0], err)
	}
	parent, err := strconv.Atoi(f[1])
	if err != nil {
		return MountInfo{}, fmt.Errorf("parent id %q: %w", f[1], err)
	}
	m := MountInfo{
		ID:         id,
		Parent:     parent,
		Root:       unescapeOctal(f[3]),
		MountPoint: unescapeOctal(f[4]),
		Options:    unescapeOctal(f[5]),
		FSType:     unescapeOctal(f[sep+1]),
	}
	if len(f) > sep+2 {
		m.Source = unescapeOctal(f[sep+2])
	}
	if len(f) > sep+3 {
		m.SuperOptions = unescapeOctal(f[sep+3])
	}
	return m, nil
}

// unescapeOctal decodes \NNN sequences; anything else is kept as written.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		// A first digit above 3 would not fit in a byte; the kernel never writes one.
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
