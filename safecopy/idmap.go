package safecopy

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Files are stat'ed and created from the host, so inside this package an
// entry's owner is always a host id. Only a tar stream carries the
// container's own ids, as docker cp's do: they are mapped at its edge.

// overflowID is what the kernel shows for an id its namespace lacks.
const overflowID = 65534

// ParseIDMap reads /proc/PID/uid_map (or gid_map) as a process outside
// the namespace sees it: "inside outside count" per line.
func ParseIDMap(r io.Reader) ([]specs.LinuxIDMapping, error) {
	var m []specs.LinuxIDMapping
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("id map line %q: want 3 numbers", sc.Text())
		}
		var n [3]uint32
		for i, s := range f {
			v, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("id map line %q: %w", sc.Text(), err)
			}
			n[i] = uint32(v)
		}
		m = append(m, specs.LinuxIDMapping{ContainerID: n[0], HostID: n[1], Size: n[2]})
	}
	return m, sc.Err()
}

// toHost maps id of the root's namespace to the host's (nil m: the host).
func toHost(m []specs.LinuxIDMapping, id int) (int, bool) {
	if m == nil {
		return id, true
	}
	for _, e := range m {
		if id >= int(e.ContainerID) && id-int(e.ContainerID) < int(e.Size) {
			return int(e.HostID) + id - int(e.ContainerID), true
		}
	}
	return 0, false
}

// fromHost maps a host id into the root's namespace, as the kernel shows
// it there: the overflow id when it has none.
func fromHost(m []specs.LinuxIDMapping, id int) int {
	if m == nil {
		return id
	}
	for _, e := range m {
		if id >= int(e.HostID) && id-int(e.HostID) < int(e.Size) {
			return int(e.ContainerID) + id - int(e.HostID)
		}
	}
	return overflowID
}
