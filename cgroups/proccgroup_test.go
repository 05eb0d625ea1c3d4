package cgroups

import (
	"strings"
	"testing"
)

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantPath  string
		wantFound bool
		wantErr   bool
	}{
		{name: "v2 only", in: "0::/user.slice/user-1000.slice/session-2.scope\n", wantPath: "/user.slice/user-1000.slice/session-2.scope", wantFound: true},
		{name: "hybrid", in: "9:name=systemd:/\n4:memory:/ci-job\n0::/\n", wantPath: "/", wantFound: true},
		{name: "v1 only", in: "4:memory:/ci-job\n1:cpu:/\n", wantFound: false},
		{name: "colon in path", in: "0::/a:b\n", wantPath: "/a:b", wantFound: true},
		{name: "outside cgroup namespace", in: "0::/../sibling\n", wantPath: "/../sibling", wantFound: true},
		{name: "malformed", in: "garbage\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, found, err := parseProcCgroup(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if p != tt.wantPath || found != tt.wantFound {
				t.Errorf("got (%q, %v), want (%q, %v)", p, found, tt.wantPath, tt.wantFound)
			}
		})
	}
}
