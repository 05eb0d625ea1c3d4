package headstart

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/userns"
)

// A supervisor's container start runs two setuid helpers, newuidmap and
// newgidmap, a millisecond or two each; started from one process their
// forks take turns behind Go's fork lock. The front command, idle while
// it waits for "ready", starts newgidmap while the supervisor starts
// newuidmap: the supervisor asks on its ready pipe, the front command
// answers on the record pipe. A front command that is gone (EOF) leaves
// the supervisor to write the map itself.
const (
	gidRequest = "gidmap "
	gidsMapped = "mapped"
	gidsFailed = "failed "
)

// GIDMapper is the supervisor's side: requests go to ready, answers come
// from answers (the rest of the record pipe).
type GIDMapper struct {
	ready   io.Writer
	answers *bufio.Reader
}

// NewGIDMapper asks on ready and reads the answers from r.
func NewGIDMapper(ready io.Writer, r *bufio.Reader) *GIDMapper {
	return &GIDMapper{ready: ready, answers: r}
}

// Map asks for pid's gid map m and returns the wait for the answer: nil,
// userns.ErrNotDelegated (the front command is gone: the caller writes the
// map itself), or the front command's one-line reason.
func (g *GIDMapper) Map(pid int, m []specs.LinuxIDMapping) func() error {
	var b strings.Builder
	b.WriteString(gidRequest + strconv.Itoa(pid))
	for _, e := range m {
		fmt.Fprintf(&b, " %d %d %d", e.ContainerID, e.HostID, e.Size)
	}
	b.WriteString("\n")
	if _, err := io.WriteString(g.ready, b.String()); err != nil {
		return func() error { return userns.ErrNotDelegated }
	}
	return func() error {
		line, err := g.answers.ReadString('\n')
		line = strings.TrimSuffix(line, "\n")
		switch {
		case err != nil:
			return userns.ErrNotDelegated
		case line == gidsMapped:
			return nil
		case strings.HasPrefix(line, gidsFailed):
			return errors.New(strings.TrimPrefix(line, gidsFailed))
		}
		return userns.ErrNotDelegated
	}
}

// parseGIDRequest reads "gidmap PID (CONTAINER HOST SIZE)...".
func parseGIDRequest(line string) (int, []specs.LinuxIDMapping, error) {
	f := strings.Fields(strings.TrimPrefix(line, gidRequest))
	if len(f) < 4 || (len(f)-1)%3 != 0 {
		return 0, nil, fmt.Errorf("malformed gid map request %q", line)
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 1 {
		return 0, nil, fmt.Errorf("malformed gid map request %q", line)
	}
	var m []specs.LinuxIDMapping
	for i := 1; i < len(f); i += 3 {
		var v [3]uint32
		for j := range v {
			n, err := strconv.ParseUint(f[i+j], 10, 32)
			if err != nil {
				return 0, nil, fmt.Errorf("malformed gid map request %q", line)
			}
			v[j] = uint32(n)
		}
		m = append(m, specs.LinuxIDMapping{ContainerID: v[0], HostID: v[1], Size: v[2]})
	}
	return pid, m, nil
}
