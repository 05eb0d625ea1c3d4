package cgroups

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMountInfo(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []MountInfo
	}{
		{
			name: "optional fields",
			in:   "25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
			want: []MountInfo{{ID: 25, Parent: 24, Root: "/", MountPoint: "/sys/fs/cgroup", FSType: "cgroup2",
				Source: "cgroup2", Options: "rw,nosuid,nodev,noexec,relatime", SuperOptions: "rw,nsdelegate,memory_recursiveprot"}},
		},
		{
			name: "no optional fields",
			in:   "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
			want: []MountInfo{{ID: 32, Parent: 31, Root: "/", MountPoint: "/sys/fs/cgroup/cpu", FSType: "cgroup",
				Source: "cgroup", Options: "rw,relatime", SuperOptions: "rw,cpu"}},
		},
		{
			name: "octal escapes",
			in:   `28 22 0:46 /a\134b /home/alice/My\040Files\011x rw - fuse.sshfs alice@nas:/s\040rv rw,user_id=1000`,
			want: []MountInfo{{ID: 28, Parent: 22, Root: `/a\b`, MountPoint: "/home/alice/My Files\tx", FSType: "fuse.sshfs",
				Source: "alice@nas:/s rv", Options: "rw", SuperOptions: "rw,user_id=1000"}},
		},
		{
			name: "empty source and super options",
			in:   "40 1 0:50 / /x rw - tmpfs",
			want: []MountInfo{{ID: 40, Parent: 1, Root: "/", MountPoint: "/x", FSType: "tmpfs", Options: "rw"}},
		},
		{
			name: "blank lines skipped",
			in:   "\n1 0 0:1 / / rw - ext4 /dev/vda rw\n\n",
			want: []MountInfo{{ID: 1, Parent: 0, Root: "/", MountPoint: "/", FSType: "ext4", Source: "/dev/vda", Options: "rw", SuperOptions: "rw"}},
		},
		{name: "empty", in: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMountInfo(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMountInfoErrors(t *testing.T) {
	tests := []struct{ name, in, wantErr string }{
		{"no separator", "1 0 0:1 / / rw ext4 /dev/vda rw", "line 1: malformed"},
		{"no fstype", "1 0 0:1 / / rw -", "line 1: malformed"},
		{"bad id", "x 0 0:1 / / rw - ext4 /dev/vda rw", "mount id"},
		{"bad parent on line 2", "1 0 0:1 / / rw - ext4 a rw\n2 y 0:1 / /a rw - ext4 a rw", "line 2: parent id"},
		{"short", "1 0 0:1 / /", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMountInfo(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseMountInfoLongLine(t *testing.T) {
	// Overlay mounts of many-layer images produce lines beyond 64 KiB.
	lower := strings.Repeat("/var/lib/x/l/ABCDEFGHIJ:", 4000)
	in := "1 0 0:1 / / rw - overlay overlay rw,lowerdir=" + lower + "\n"
	got, err := ParseMountInfo(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].SuperOptions) < len(lower) {
		t.Fatalf("long line not parsed whole: %d mounts", len(got))
	}
}

func TestUnescapeOctal(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain`, `plain`},
		{`a\040b`, `a b`},
		{`nl\012`, "nl\n"},
		{`\134\134`, `\\`},
		{`trailing\04`, `trailing\04`},
		{`not\999octal`, `not\999octal`},
		{`high\777`, `high\777`},
		{`\`, `\`},
	}
	for _, tt := range tests {
		if got := unescapeOctal(tt.in); got != tt.want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
