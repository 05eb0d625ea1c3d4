package spec

import (
	"slices"
	"strings"
	"testing"
)

func TestParseVolume(t *testing.T) {
	tests := []struct {
		in      string
		want    Volume
		wantErr string
	}{
		{in: "/src:/dst", want: Volume{Source: "/src", Destination: "/dst"}},
		{in: "/src:/dst:ro", want: Volume{Source: "/src", Destination: "/dst", ReadOnly: true}},
		{in: "/src:/dst:readonly", want: Volume{Source: "/src", Destination: "/dst", ReadOnly: true}},
		{in: "/src:/dst:rw", want: Volume{Source: "/src", Destination: "/dst"}},
		{in: "/src:/dst:ro,rw", want: Volume{Source: "/src", Destination: "/dst"}},
		{in: "/src:/dst:z,ro", want: Volume{Source: "/src", Destination: "/dst", ReadOnly: true}},
		{in: "/src:/dst:", want: Volume{Source: "/src", Destination: "/dst"}},
		{in: "/src:/a/../dst/", want: Volume{Source: "/src", Destination: "/dst"}},
		{in: "/src:/dst:rx", wantErr: `invalid volume "/src:/dst:rx": unknown option "rx" (want ro or rw)`},
		{in: "data:/dst", wantErr: `invalid volume "data:/dst": named volumes are not supported yet, give an absolute host path`},
		{in: "./data:/dst", wantErr: "named volumes are not supported yet"},
		{in: "/src:dst", wantErr: `invalid volume "/src:dst": the container path must be absolute`},
		{in: "/src", wantErr: `invalid volume "/src": want HOST:CONTAINER[:ro|rw]`},
		{in: "/src:/dst:ro:extra", wantErr: `invalid volume "/src:/dst:ro:extra": want HOST:CONTAINER[:ro|rw]`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVolume(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseVolume = %+v, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseVolume = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseTmpfs(t *testing.T) {
	tests := []struct {
		in      string
		want    Tmpfs
		wantErr string
	}{
		{in: "/t", want: Tmpfs{"/t", []string{"nosuid", "nodev", "noexec", "mode=1777"}}},
		{in: "/t/", want: Tmpfs{"/t", []string{"nosuid", "nodev", "noexec", "mode=1777"}}},
		{in: "/t:exec", want: Tmpfs{"/t", []string{"nosuid", "nodev", "mode=1777"}}},
		{in: "/t:noexec", want: Tmpfs{"/t", []string{"nosuid", "nodev", "noexec", "mode=1777"}}},
		{in: "/t:size=64m", want: Tmpfs{"/t", []string{"nosuid", "nodev", "size=64m", "noexec", "mode=1777"}}},
		{in: "/t:mode=0700,uid=1000", want: Tmpfs{"/t", []string{"nosuid", "nodev", "mode=0700", "uid=1000", "noexec"}}},
		{in: "/t:ro,nr_inodes=10,gid=5", want: Tmpfs{"/t", []string{"nosuid", "nodev", "ro", "nr_inodes=10", "gid=5", "noexec", "mode=1777"}}},
		{in: "/t:bogus", wantErr: `invalid tmpfs "/t:bogus": unknown option "bogus"`},
		{in: "/t:suid", wantErr: `unknown option "suid"`},
		{in: "t", wantErr: `invalid tmpfs "t": the container path must be absolute`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTmpfs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTmpfs = %+v, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Destination != tt.want.Destination || !slices.Equal(got.Options, tt.want.Options) {
				t.Fatalf("ParseTmpfs = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
