package nsinit

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/userns"
)

const testPasswd = `root:x:0:0:root:/root:/bin/sh
# a comment
user:x:1000:1000:user:/home/user:/bin/sh
short:x:2000
badid:x:notanumber:0::/:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const testGroup = `root:x:0:
user:x:1000:
wheel:x:10:user
audio:x:29:root,user
big:x:70000:user
broken:x:notanumber:user
nogroup
nobody:x:65534:
`

func testEtc(t *testing.T) string {
	t.Helper()
	etc := t.TempDir()
	for name, data := range map[string]string{"passwd": testPasswd, "group": testGroup} {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return etc
}

var (
	// subIDs: 0-65536 exist, as newuidmap/newgidmap write them.
	subIDs = userns.PlanIDMap(1000, []userns.Range{{Start: 100000, Count: 65536}}, 65536)
	// oneID: only 0 exists, written by the kernel clone path (no setgroups).
	oneID = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
)

func TestResolveUser(t *testing.T) {
	etc := testEtc(t)
	mapped := &specs.Linux{UIDMappings: subIDs, GIDMappings: subIDs}
	single := &specs.Linux{UIDMappings: oneID, GIDMappings: oneID}
	realRoot := &specs.Linux{} // no user namespace: every id exists
	const note = "nook has no subordinate ids for you: add a line to /etc/subuid"
	tests := []struct {
		name    string
		etc     string
		user    string
		l       *specs.Linux
		want    user
		wantErr string
	}{
		{name: "default is root", user: "", l: mapped, want: user{0, 0, []uint32{29}, "/root"}},
		{name: "root by name", user: "root", l: mapped, want: user{0, 0, []uint32{29}, "/root"}},
		// big (70000) is not mapped and broken has no number: left out.
		{name: "name", user: "user", l: mapped, want: user{1000, 1000, []uint32{10, 29}, "/home/user"}},
		{name: "uid with a passwd entry", user: "1000", l: mapped, want: user{1000, 1000, []uint32{10, 29}, "/home/user"}},
		{name: "uid without a passwd entry", user: "4242", l: mapped, want: user{4242, 0, nil, "/"}},
		{name: "name and group name", user: "user:wheel", l: mapped, want: user{1000, 10, []uint32{29}, "/home/user"}},
		{name: "uid and gid", user: "1000:10", l: mapped, want: user{1000, 10, []uint32{29}, "/home/user"}},
		{name: "name and unlisted gid", user: "user:4242", l: mapped, want: user{1000, 4242, []uint32{10, 29}, "/home/user"}},
		{name: "short passwd line is no entry", user: "2000", l: mapped, want: user{2000, 0, nil, "/"}},
		{name: "single gid mapping: no supplementary groups", user: "", l: single, want: user{0, 0, nil, "/root"}},
		{name: "real root: any id", user: "123456:654321", l: realRoot, want: user{123456, 654321, nil, "/"}},
		{name: "no passwd or group file", etc: t.TempDir(), user: "", l: mapped, want: user{0, 0, nil, "/"}},
		{
			name: "unknown name", user: "nosuchuser", l: mapped,
			wantErr: "unable to find user nosuchuser: no matching entries in the container's /etc/passwd",
		},
		{
			name: "unknown group", user: "user:nosuchgroup", l: mapped,
			wantErr: "unable to find group nosuchgroup: no matching entries in the container's /etc/group",
		},
		{
			name: "name with a malformed uid is unknown", user: "badid", l: mapped,
			wantErr: "unable to find user badid: no matching entries in the container's /etc/passwd",
		},
		{
			name: "uid outside the range", user: "70000", l: mapped,
			wantErr: "uid 70000 is not mapped in the container (ids 0-65536 exist): choose an id inside the range",
		},
		{
			name: "gid outside the range", user: "0:70000", l: mapped,
			wantErr: "gid 70000 is not mapped in the container (ids 0-65536 exist): choose an id inside the range",
		},
		{
			name: "single mapping carries the note", user: "user", l: single,
			wantErr: "uid 1000 is not mapped in the container (only id 0 exists): " + note,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := etc
			if tt.etc != "" {
				dir = tt.etc
			}
			got, err := resolveUser(dir, tt.user, tt.l, note)
			if tt.wantErr != "" {
				var ce *codeError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &ce) || ce.code != codeFailed {
					t.Fatalf("resolveUser = %+v, %v; want error %q with status %d", got, err, tt.wantErr, codeFailed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.UID != tt.want.UID || got.GID != tt.want.GID || got.Home != tt.want.Home || !slices.Equal(got.Groups, tt.want.Groups) {
				t.Errorf("resolveUser = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDescribeMap(t *testing.T) {
	tests := []struct {
		name    string
		m       []specs.LinuxIDMapping
		note    string
		want    string
		wantFix string
	}{
		{"single id 0", oneID, "note", "only id 0 exists", "note"},
		{"single id 0 without a note", oneID, "", "only id 0 exists", "choose an id inside the range"},
		{"the caller's own id", []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 1000, Size: 1}}, "note", "only id 1000 exists", "note"},
		{"subordinate ids", subIDs, "note", "ids 0-65536 exist", "choose an id inside the range"},
		{"one wide extent", []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 1 << 16}}, "note", "ids 0-65535 exist", "choose an id inside the range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeMap(tt.m); got != tt.want {
				t.Errorf("describeMap = %q, want %q", got, tt.want)
			}
			if got := mapFix(tt.m, tt.note); got != tt.wantFix {
				t.Errorf("mapFix = %q, want %q", got, tt.wantFix)
			}
		})
	}
}
