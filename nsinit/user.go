package nsinit

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/userns"
)

// user is who the command runs as, resolved in the container's own /etc.
type user struct {
	UID, GID uint32
	Groups   []uint32
	Home     string
}

// resolveUser parses --user (NAME, UID, NAME:GROUP, UID:GID) against the
// passwd and group files in etc (the container's /etc after pivot_root), as
// Docker does.
func resolveUser(etc, spec string, l *specs.Linux, note string) (user, error) {
	name, group, hasGroup := strings.Cut(spec, ":")
	if name == "" {
		name = "0"
	}
	u := user{Home: "/"}
	pw, pwFound := lookupPasswd(etc, name)
	switch {
	case pwFound:
		u.UID, u.GID, u.Home = pw.uid, pw.gid, pw.home
	default:
		id, err := strconv.ParseUint(name, 10, 32)
		if err != nil {
			return u, withCode(codeFailed, "unable to find user %s: no matching entries in the container's /etc/passwd", name)
		}
		u.UID, u.GID = uint32(id), 0 // Docker: no passwd entry, group root
	}
	if hasGroup {
		gid, err := lookupGroup(etc, group)
		if err != nil {
			return u, err
		}
		u.GID = gid
	}
	if err := checkMapped(u, l, note); err != nil {
		return u, err
	}
	u.Groups = memberships(etc, pw.name, u.GID, l)
	return u, nil
}

type passwdEntry struct {
	name     string
	uid, gid uint32
	home     string
}

// lookupPasswd finds an entry by name or by numeric uid.
func lookupPasswd(etc, key string) (passwdEntry, bool) {
	var found passwdEntry
	ok := false
	scanColon(filepath.Join(etc, "passwd"), func(f []string) bool {
		if len(f) < 6 || (f[0] != key && f[2] != key) {
			return true
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			return true
		}
		found, ok = passwdEntry{name: f[0], uid: uint32(uid), gid: uint32(gid), home: f[5]}, true
		return false
	})
	return found, ok
}

func lookupGroup(etc, key string) (uint32, error) {
	if id, err := strconv.ParseUint(key, 10, 32); err == nil {
		return uint32(id), nil
	}
	var gid uint32
	ok := false
	scanColon(filepath.Join(etc, "group"), func(f []string) bool {
		if len(f) < 3 || f[0] != key {
			return true
		}
		id, err := strconv.ParseUint(f[2], 10, 32)
		gid, ok = uint32(id), err == nil
		return !ok
	})
	if !ok {
		return 0, withCode(codeFailed, "unable to find group %s: no matching entries in the container's /etc/group", key)
	}
	return gid, nil
}

// memberships are the supplementary groups /etc/group lists name in. They
// can only be set when setgroups(2) is allowed, i.e. gids were mapped by
// newgidmap (a single mapping written by the user denies it).
func memberships(etc, name string, primary uint32, l *specs.Linux) []uint32 {
	if name == "" || (l != nil && len(l.GIDMappings) == 1) {
		return nil
	}
	var groups []uint32
	scanColon(filepath.Join(etc, "group"), func(f []string) bool {
		if len(f) < 4 {
			return true
		}
		for _, m := range strings.Split(f[3], ",") {
			id, err := strconv.ParseUint(f[2], 10, 32)
			if m == name && err == nil && uint32(id) != primary && mapped(l, false, uint32(id)) {
				groups = append(groups, uint32(id))
			}
		}
		return true
	})
	return groups
}

func checkMapped(u user, l *specs.Linux, note string) error {
	if !mapped(l, true, u.UID) {
		return withCode(codeFailed, "uid %d is not mapped in the container (%s): %s", u.UID, describeMap(l.UIDMappings), mapFix(l.UIDMappings, note))
	}
	if !mapped(l, false, u.GID) {
		return withCode(codeFailed, "gid %d is not mapped in the container (%s): %s", u.GID, describeMap(l.GIDMappings), mapFix(l.GIDMappings, note))
	}
	return nil
}

func mapped(l *specs.Linux, uid bool, id uint32) bool {
	if l == nil {
		return true
	}
	m := l.GIDMappings
	if uid {
		m = l.UIDMappings
	}
	return len(m) == 0 || userns.Contains(m, id)
}

func describeMap(m []specs.LinuxIDMapping) string {
	if len(m) == 1 && m[0].Size == 1 {
		return fmt.Sprintf("only id %d exists", m[0].ContainerID)
	}
	var max uint32
	for _, r := range m {
		if end := r.ContainerID + r.Size - 1; end > max {
			max = end
		}
	}
	return fmt.Sprintf("ids 0-%d exist", max)
}

func mapFix(m []specs.LinuxIDMapping, note string) string {
	if len(m) == 1 && m[0].Size == 1 && note != "" {
		return note
	}
	return "choose an id inside the range"
}

// scanColon calls fn with the fields of each line of a colon-separated file
// until fn returns false. A missing file is an empty one.
func scanColon(path string, fn func([]string) bool) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if !fn(strings.Split(line, ":")) {
			return
		}
	}
}
