package cli

import (
	"fmt"
	"strings"
)

// noNewPrivileges reads --security-opt no-new-privileges[=|:]true|false;
// unlike Docker, nook defaults to true.
func noNewPrivileges(opts []string) (bool, error) {
	nnp := true
	for _, o := range opts {
		if err := checkSecurityOpt(o); err != nil {
			return false, err
		}
		k, v, hasValue := cutAny(o, "=:")
		if k != "no-new-privileges" {
			continue
		}
		switch {
		case !hasValue || v == "true":
			nnp = true
		case v == "false":
			nnp = false
		default:
			return false, fmt.Errorf("invalid --security-opt %q: want no-new-privileges=true or =false", o)
		}
	}
	return nnp, nil
}

func seccompOn(opts []string) bool {
	for _, o := range opts {
		if k, v, _ := cutAny(o, "=:"); k == "seccomp" && v == "unconfined" {
			return false
		}
	}
	return true
}

func checkSecurityOpt(o string) error {
	k, v, _ := cutAny(o, "=:")
	switch {
	case k == "no-new-privileges":
		return nil
	case k == "seccomp" && v == "unconfined":
		return nil
	case k == "seccomp":
		return fmt.Errorf("invalid --security-opt %q: custom seccomp profiles are not supported yet (seccomp=unconfined turns the filter off)", o)
	case k == "unmask" && v != "":
		return nil
	}
	return fmt.Errorf("unknown --security-opt %q: nook knows no-new-privileges, seccomp=unconfined and unmask=ALL|PATH:PATH", o)
}

// unmasked reads podman's unmask=ALL or unmask=PATH[:PATH...]: masked or
// read-only paths to leave as the kernel shows them (a nook or podman run
// inside needs /proc whole to mount a /proc of its own).
func unmasked(opts []string) []string {
	var paths []string
	for _, o := range opts {
		if k, v, _ := cutAny(o, "="); k == "unmask" {
			paths = append(paths, strings.Split(v, ":")...)
		}
	}
	return paths
}

func cutAny(s, seps string) (string, string, bool) {
	if i := strings.IndexAny(s, seps); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
