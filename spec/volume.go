package spec

import (
	"fmt"
	"path"
	"strings"
)

// Volume is one -v HOST:CONTAINER[:ro|rw].
type Volume struct {
	Source, Destination string
	ReadOnly            bool
}

// ParseVolume parses Docker's -v syntax for bind mounts.
func ParseVolume(s string) (Volume, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Volume{}, fmt.Errorf("invalid volume %q: want HOST:CONTAINER[:ro|rw]", s)
	}
	v := Volume{Source: parts[0], Destination: parts[1]}
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro", "readonly":
				v.ReadOnly = true
			case "rw":
				v.ReadOnly = false
			case "z", "Z", "rbind", "":
			default:
				return Volume{}, fmt.Errorf("invalid volume %q: unknown option %q (want ro or rw)", s, o)
			}
		}
	}
	if !path.IsAbs(v.Source) {
		return Volume{}, fmt.Errorf("invalid volume %q: named volumes are not supported yet, give an absolute host path", s)
	}
	if !path.IsAbs(v.Destination) {
		return Volume{}, fmt.Errorf("invalid volume %q: the container path must be absolute", s)
	}
	v.Destination = path.Clean(v.Destination)
	return v, nil
}

// Tmpfs is one --tmpfs PATH[:OPTIONS].
type Tmpfs struct {
	Destination string
	Options     []string
}

// ParseTmpfs parses --tmpfs PATH[:opt,opt]; Docker's defaults apply
// (nosuid, nodev, noexec unless "exec" is given).
func ParseTmpfs(s string) (Tmpfs, error) {
	dst, opts, _ := strings.Cut(s, ":")
	if !path.IsAbs(dst) {
		return Tmpfs{}, fmt.Errorf("invalid tmpfs %q: the container path must be absolute", s)
	}
	t := Tmpfs{Destination: path.Clean(dst), Options: []string{"nosuid", "nodev"}}
	exec := false
	for _, o := range strings.Split(opts, ",") {
		switch {
		case o == "":
		case o == "exec":
			exec = true
		case o == "noexec":
		case o == "ro" || o == "rw" || strings.HasPrefix(o, "size=") || strings.HasPrefix(o, "mode=") ||
			strings.HasPrefix(o, "uid=") || strings.HasPrefix(o, "gid=") || strings.HasPrefix(o, "nr_inodes="):
			t.Options = append(t.Options, o)
		default:
			return Tmpfs{}, fmt.Errorf("invalid tmpfs %q: unknown option %q", s, o)
		}
	}
	if !exec {
		t.Options = append(t.Options, "noexec")
	}
	if !hasPrefix(t.Options, "mode=") {
		t.Options = append(t.Options, "mode=1777")
	}
	return t, nil
}

func hasPrefix(opts []string, prefix string) bool {
	for _, o := range opts {
		if strings.HasPrefix(o, prefix) {
			return true
		}
	}
	return false
}
