package cli

import (
	"strings"
	"testing"
)

func TestNoNewPrivileges(t *testing.T) {
	tests := []struct {
		name    string
		opts    []string
		want    bool
		wantErr string
	}{
		{name: "default on", want: true},
		{name: "bare", opts: []string{"no-new-privileges"}, want: true},
		{name: "=true", opts: []string{"no-new-privileges=true"}, want: true},
		{name: ":true", opts: []string{"no-new-privileges:true"}, want: true},
		{name: "=false", opts: []string{"no-new-privileges=false"}, want: false},
		{name: ":false", opts: []string{"no-new-privileges:false"}, want: false},
		{name: "the last wins", opts: []string{"no-new-privileges=false", "no-new-privileges"}, want: true},
		{name: "beside seccomp", opts: []string{"seccomp=unconfined", "no-new-privileges=false"}, want: false},
		{
			name: "bad value", opts: []string{"no-new-privileges=maybe"},
			wantErr: `invalid --security-opt "no-new-privileges=maybe": want no-new-privileges=true or =false`,
		},
		{
			name: "unknown option is refused too", opts: []string{"no-new-privileges=false", "bogus"},
			wantErr: `unknown --security-opt "bogus"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := noNewPrivileges(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("noNewPrivileges = %v, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("noNewPrivileges = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestSeccompOn(t *testing.T) {
	tests := []struct {
		opts []string
		want bool
	}{
		{nil, true},
		{[]string{"seccomp=unconfined"}, false},
		{[]string{"seccomp:unconfined"}, false},
		{[]string{"no-new-privileges", "seccomp=unconfined"}, false},
		{[]string{"no-new-privileges=false"}, true},
		{[]string{"seccomp=/etc/profile.json"}, true},
	}
	for _, tt := range tests {
		if got := seccompOn(tt.opts); got != tt.want {
			t.Errorf("seccompOn(%q) = %v, want %v", tt.opts, got, tt.want)
		}
	}
}

func TestCheckSecurityOpt(t *testing.T) {
	tests := []struct {
		opt, wantErr string
	}{
		{opt: "no-new-privileges"},
		{opt: "no-new-privileges=false"},
		{opt: "seccomp=unconfined"},
		{opt: "seccomp:unconfined"},
		{opt: "seccomp=/etc/profile.json", wantErr: `invalid --security-opt "seccomp=/etc/profile.json": custom seccomp profiles are not supported yet (seccomp=unconfined turns the filter off)`},
		{opt: "seccomp", wantErr: `invalid --security-opt "seccomp": custom seccomp profiles are not supported yet`},
		{opt: "apparmor=unconfined", wantErr: `unknown --security-opt "apparmor=unconfined": nook knows no-new-privileges, seccomp=unconfined and unmask=ALL|PATH:PATH`},
		{opt: "bogus", wantErr: `unknown --security-opt "bogus": nook knows no-new-privileges, seccomp=unconfined and unmask=ALL|PATH:PATH`},
		{opt: "", wantErr: `unknown --security-opt ""`},
	}
	for _, tt := range tests {
		t.Run(tt.opt, func(t *testing.T) {
			err := checkSecurityOpt(tt.opt)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestUnmasked(t *testing.T) {
	got := unmasked([]string{"seccomp=unconfined", "unmask=ALL", "unmask=/proc/kcore:/proc/keys"})
	want := []string{"ALL", "/proc/kcore", "/proc/keys"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("unmasked = %q, want %q", got, want)
	}
	if err := checkSecurityOpt("unmask="); err == nil {
		t.Error("an empty unmask was accepted")
	}
}
