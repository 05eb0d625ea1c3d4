package cgroups

import (
	"strings"
	"testing"
)

func TestProblems(t *testing.T) {
	v2 := func(mod func(*Host)) Host {
		h := Host{Version: V2, Mount: "/sys/fs/cgroup", Own: "/system.slice/runner.service",
			Dir: "/sys/fs/cgroup/system.slice/runner.service", Writable: "/sys/fs/cgroup/system.slice/runner.service",
			Delegated: []string{"cpu", "memory", "pids"}}
		mod(&h)
		return h
	}
	tests := []struct {
		name string
		host Host
		want []string
		// wantLines are substrings of the expected lines, in order; nil means no problems.
		wantLines []string
	}{
		{name: "nothing wanted", host: Host{Version: V1}, want: nil},
		{name: "all delegated", host: v2(func(*Host) {}), want: []string{"cpu", "memory"}},
		{name: "no cgroup fs", host: Host{}, want: []string{"memory"},
			wantLines: []string{"no cgroup file system is mounted: resource limits need cgroup v2 — sudo mount -t cgroup2"}},
		{name: "v1", host: Host{Version: V1}, want: []string{"memory"},
			wantLines: []string{"cgroup v2 is not the unified hierarchy on this host (v1): resource limits need cgroup v2 — boot with systemd.unified_cgroup_hierarchy=1"}},
		{name: "hybrid where v2 has the controllers", host: Host{Version: Hybrid, Mount: "/sys/fs/cgroup/unified",
			Delegated: []string{"memory"}}, want: []string{"memory"}},
		{name: "own cgroup not visible", host: v2(func(h *Host) { h.Dir, h.Writable, h.Delegated = "", "", nil }),
			want: []string{"pids"}, wantLines: []string{"your cgroup /system.slice/runner.service is not visible under the cgroup2 mount at /sys/fs/cgroup"}},
		{name: "not writable, user bus", host: v2(func(h *Host) { h.Writable, h.Delegated, h.SystemdUserBus = "", nil, true }),
			want: []string{"pids"}, wantLines: []string{"systemd-run --user --scope -p Delegate=yes nook"}},
		{name: "not writable, no user manager", host: v2(func(h *Host) { h.Writable, h.Delegated = "", nil }),
			want: []string{"pids"}, wantLines: []string{"sudo loginctl enable-linger $USER"}},
		{name: "user manager missing two", host: v2(func(h *Host) {
			h.Writable = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service"
			h.Delegated = []string{"pids"}
		}), want: []string{"cpu", "memory", "cpu", "pids"},
			wantLines: []string{"controllers cpu, memory are not delegated to you: create /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids"}},
		{name: "plain delegated subtree missing one", host: v2(func(h *Host) {}), want: []string{"io"},
			wantLines: []string{"controller io is not delegated to you: the owner of /sys/fs/cgroup/system.slice must enable it: echo '+io' > /sys/fs/cgroup/system.slice/cgroup.subtree_control"}},
		{name: "container namespace root missing one", host: v2(func(h *Host) { h.Own, h.Dir, h.Writable = "/", "/sys/fs/cgroup", "/sys/fs/cgroup" }),
			want: []string{"io"}, wantLines: []string{"the top of your cgroup namespace — ask whoever starts this container to delegate io"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.host.Problems(tt.want)
			if len(got) != len(tt.wantLines) {
				t.Fatalf("got %q, want %d lines like %q", got, len(tt.wantLines), tt.wantLines)
			}
			for i, line := range got {
				if !strings.Contains(line, tt.wantLines[i]) {
					t.Errorf("line %d = %q, want it to contain %q", i, line, tt.wantLines[i])
				}
				if strings.Contains(line, "\n") {
					t.Errorf("line %d is not one line: %q", i, line)
				}
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	for v, want := range map[Version]string{None: "none", V1: "v1", Hybrid: "hybrid", V2: "v2", Version(9): "Version(9)"} {
		if got := v.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(v), got, want)
		}
	}
}
