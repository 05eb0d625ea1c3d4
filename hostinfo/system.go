package hostinfo

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// kernelAtLeast compares a release like "6.1.0-18-amd64" with major.minor;
// an unparsable release counts as new enough, so no fix is made up from it.
func kernelAtLeast(release string, major, minor int) bool {
	f := strings.FieldsFunc(release, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		return true
	}
	ma, err1 := strconv.Atoi(f[0])
	mi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return true
	}
	return ma > major || ma == major && mi >= minor
}

// osRelease holds the few os-release(5) fields the fixes depend on.
type osRelease struct {
	id, idLike, prettyName string
}

func (o osRelease) pretty() string {
	if o.prettyName != "" {
		return o.prettyName
	}
	if o.id != "" {
		return o.id
	}
	return "unknown"
}

// is reports whether the distribution is, or says it is like, one of ids.
func (o osRelease) is(ids ...string) bool {
	for _, id := range ids {
		if o.id == id || strings.Contains(" "+o.idLike+" ", " "+id+" ") {
			return true
		}
	}
	return false
}

func readOSRelease(etcRoot string) osRelease {
	var o osRelease
	f, err := os.Open(filepath.Join(etcRoot, "os-release"))
	if err != nil {
		return o
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, found := strings.Cut(sc.Text(), "=")
		if !found {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		switch k {
		case "ID":
			o.id = v
		case "ID_LIKE":
			o.idLike = v
		case "PRETTY_NAME":
			o.prettyName = v
		}
	}
	return o
}
