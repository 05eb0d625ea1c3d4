package headstart

import (
	"bufio"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/userns"
)

var testMap = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1001, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}

func TestGIDRequestRoundTrip(t *testing.T) {
	var b strings.Builder
	wait := NewGIDMapper(&b, bufio.NewReader(strings.NewReader(gidsMapped+"\n"))).Map(4242, testMap)
	if err := wait(); err != nil {
		t.Fatalf("answer %q: %v", gidsMapped, err)
	}
	pid, m, err := parseGIDRequest(b.String())
	if err != nil || pid != 4242 || !reflect.DeepEqual(m, testMap) {
		t.Errorf("request %q parsed as %d %v %v", b.String(), pid, m, err)
	}
}

func TestGIDRequestRefusesMalformed(t *testing.T) {
	for _, line := range []string{
		"gidmap\n", "gidmap 42\n", "gidmap 42 0 1001\n", "gidmap x 0 1001 1\n", "gidmap 1 0 1001 1\n",
		"gidmap 42 0 -1 1\n", "gidmap 42 0 1001 4294967296\n", "gidmap 42 0 1001 1 2\n",
	} {
		if _, _, err := parseGIDRequest(line); err == nil {
			t.Errorf("parseGIDRequest(%q) accepted it", line)
		}
	}
}

// Whatever the front command answers, or not at all, the supervisor
// either has its map, a reason to report, or writes the map itself.
func TestGIDMapperAnswers(t *testing.T) {
	for answer, want := range map[string]error{
		"mapped\n":                    nil,
		"failed newgidmap: refused\n": errors.New("newgidmap: refused"),
		"unavailable\n":               userns.ErrNotDelegated,
		"":                            userns.ErrNotDelegated, // the front command is gone
		"something else altogether\n": userns.ErrNotDelegated,
	} {
		var b strings.Builder
		err := NewGIDMapper(&b, bufio.NewReader(strings.NewReader(answer))).Map(42, testMap)()
		if (err == nil) != (want == nil) || (err != nil && err.Error() != want.Error()) {
			t.Errorf("answer %q: %v, want %v", answer, err, want)
		}
	}
	// A request that cannot be written (the front command closed its end).
	r, w, _ := os.Pipe()
	r.Close()
	defer w.Close()
	if err := NewGIDMapper(w, bufio.NewReader(strings.NewReader(""))).Map(42, testMap)(); !errors.Is(err, userns.ErrNotDelegated) {
		t.Errorf("request to a closed pipe: %v", err)
	}
}
