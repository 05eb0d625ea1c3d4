package userns

import (
	"math"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// maxExtents is the kernel's limit on lines in uid_map/gid_map (340 since
// Linux 4.15; 5 before). A longer map is refused as a whole, so we stop early.
const maxExtents = 340

// lastID is the highest id a map may cover: 4294967295 is (uid_t)-1, which
// the kernel never maps.
const lastID = math.MaxUint32 - 1

// PlanIDMap maps container id 0 to hostID and container ids 1..size to the
// subordinate ranges in order (concatenating several ranges if one is too
// small), capped at size ids beyond 0 (nook passes 65536). With no ranges the
// result is the single mapping {0, hostID, 1}.
//
// Host ids that are already mapped (hostID itself, or duplicate and
// overlapping lines in /etc/subuid) are left out, because the kernel rejects
// a map whose host ranges overlap.
func PlanIDMap(hostID uint32, ranges []Range, size uint32) []specs.LinuxIDMapping {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: hostID, Size: 1}}
	remaining := min(size, lastID)
	next := uint32(1)
	for _, r := range ranges {
		for _, p := range subtractMapped(clipRange(r), m) {
			if remaining == 0 || len(m) == maxExtents {
				return m
			}
			n := min(p.Count, remaining)
			m = append(m, specs.LinuxIDMapping{ContainerID: next, HostID: p.Start, Size: n})
			next += n
			remaining -= n
		}
	}
	return m
}

// clipRange drops the part of r beyond lastID, for ranges that did not come
// through ParseSubIDs.
func clipRange(r Range) Range {
	if uint64(r.Start)+uint64(r.Count) > uint64(lastID)+1 {
		if r.Start > lastID {
			return Range{}
		}
		r.Count = lastID + 1 - r.Start
	}
	return r
}

// subtractMapped returns the pieces of r whose host ids m does not map yet,
// in ascending order.
func subtractMapped(r Range, m []specs.LinuxIDMapping) []Range {
	pieces := []Range{r}
	for _, e := range m {
		var out []Range
		for _, p := range pieces {
			out = append(out, cut(p, e.HostID, e.Size)...)
		}
		pieces = out
	}
	return pieces
}

// cut removes the host interval [start, start+n) from p; it yields zero, one
// or two pieces.
func cut(p Range, start, n uint32) []Range {
	pEnd := uint64(p.Start) + uint64(p.Count)
	cEnd := uint64(start) + uint64(n)
	if p.Count == 0 {
		return nil
	}
	if cEnd <= uint64(p.Start) || uint64(start) >= pEnd {
		return []Range{p}
	}
	var out []Range
	if start > p.Start {
		out = append(out, Range{Start: p.Start, Count: start - p.Start})
	}
	if cEnd < pEnd {
		out = append(out, Range{Start: uint32(cEnd), Count: uint32(pEnd - cEnd)})
	}
	return out
}

// Identity maps container id `id` to host id `id` (one id): used by
// `nook sandbox` to keep the caller's own uid inside.
func Identity(id uint32) []specs.LinuxIDMapping {
	return []specs.LinuxIDMapping{{ContainerID: id, HostID: id, Size: 1}}
}

// Contains reports whether container id is mapped.
func Contains(m []specs.LinuxIDMapping, id uint32) bool {
	_, ok := ToHost(m, id)
	return ok
}

// ToHost translates a container id to the host id (ok=false when unmapped).
func ToHost(m []specs.LinuxIDMapping, id uint32) (uint32, bool) {
	for _, e := range m {
		// uint64 so that an extent ending at 2^32 does not wrap to 0.
		if id >= e.ContainerID && uint64(id) < uint64(e.ContainerID)+uint64(e.Size) {
			return e.HostID + (id - e.ContainerID), true
		}
	}
	return 0, false
}

// FormatMap renders a mapping the way /proc/PID/uid_map is written
// ("0 1000 1\n1 100000 65536\n").
func FormatMap(m []specs.LinuxIDMapping) string {
	b := make([]byte, 0, len(m)*24)
	for _, e := range m {
		b = strconv.AppendUint(b, uint64(e.ContainerID), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(e.HostID), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(e.Size), 10)
		b = append(b, '\n')
	}
	return string(b)
}

// mapArgs renders m as the flat "inside outside count ..." argument list
// newuidmap(1) and newgidmap(1) take after the pid.
func mapArgs(m []specs.LinuxIDMapping) []string {
	args := make([]string, 0, len(m)*3)
	for _, e := range m {
		args = append(args,
			strconv.FormatUint(uint64(e.ContainerID), 10),
			strconv.FormatUint(uint64(e.HostID), 10),
			strconv.FormatUint(uint64(e.Size), 10))
	}
	return args
}
