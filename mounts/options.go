package mounts

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// flagOptions are the mount(8)-style options that map to mount flags; any
// other option is passed to the filesystem as data.
var flagOptions = map[string]uintptr{
	"ro":          unix.MS_RDONLY,
	"nosuid":      unix.MS_NOSUID,
	"nodev":       unix.MS_NODEV,
	"noexec":      unix.MS_NOEXEC,
	"relatime":    unix.MS_RELATIME,
	"strictatime": unix.MS_STRICTATIME,
	"noatime":     unix.MS_NOATIME,
}

// options that only describe the mount and are consumed by the planner.
var ignoredOptions = map[string]bool{"rw": true, "bind": true, "rbind": true, "private": true, "rprivate": true}

// parseOptions splits OCI mount options into flags and filesystem data.
func parseOptions(opts []string) (uintptr, string, error) {
	var flags uintptr
	var data []string
	for _, o := range opts {
		if f, ok := flagOptions[o]; ok {
			flags |= f
			continue
		}
		if ignoredOptions[o] {
			continue
		}
		if !strings.Contains(o, "=") && !dataFlag(o) {
			return 0, "", fmt.Errorf("unknown mount option %q", o)
		}
		data = append(data, o)
	}
	return flags, strings.Join(data, ","), nil
}

// dataFlag reports valueless filesystem options nook passes through.
func dataFlag(o string) bool {
	return o == "newinstance"
}

func hasOption(opts []string, want string) bool {
	for _, o := range opts {
		if o == want {
			return true
		}
	}
	return false
}

func flagString(flags uintptr, data string) string {
	var names []string
	for name, f := range flagOptions {
		if flags&f != 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if data != "" {
		names = append(names, data)
	}
	return strings.Join(names, ",")
}
