package cgroups

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const userManager = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service"

func TestDiscoverFixtures(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		// writable are the cgroup directories (host paths) the fake access check
		// lets the caller write: what chown by systemd's Delegate= would allow.
		writable     []string
		want         Host
		wantProblems []string // substrings, one per expected problem line
	}{
		{
			name:         "v1 only",
			fixture:      "v1-only",
			want:         Host{Version: V1},
			wantProblems: []string{"(v1): resource limits need cgroup v2"},
		},
		{
			name:     "hybrid as root (this machine)",
			fixture:  "hybrid",
			writable: []string{"/sys/fs/cgroup/unified"},
			// Only hugetlb, which this host does not mount as v1, lands in v2.
			want: Host{Version: Hybrid, Mount: "/sys/fs/cgroup/unified", Own: "/", Dir: "/sys/fs/cgroup/unified",
				Controllers: []string{"hugetlb"}, Writable: "/sys/fs/cgroup/unified", Delegated: []string{"hugetlb"}},
			wantProblems: []string{"(hybrid: cgroup v1 plus cgroup2 at /sys/fs/cgroup/unified)"},
		},
		{
			name:    "hybrid as a user",
			fixture: "hybrid",
			want: Host{Version: Hybrid, Mount: "/sys/fs/cgroup/unified", Own: "/", Dir: "/sys/fs/cgroup/unified",
				Controllers: []string{"hugetlb"}},
			wantProblems: []string{"systemd.unified_cgroup_hierarchy=1"},
		},
		{
			name:    "v2 delegated by systemd",
			fixture: "v2-delegated",
			writable: []string{userManager, userManager + "/init.scope", userManager + "/app.slice",
				userManager + "/app.slice/app-nook-test.scope"},
			want: Host{Version: V2, Mount: "/sys/fs/cgroup",
				Own:         "/user.slice/user-1000.slice/user@1000.service/app.slice/app-nook-test.scope",
				Dir:         userManager + "/app.slice/app-nook-test.scope",
				Controllers: []string{"memory", "pids"},
				Writable:    userManager,
				Delegated:   []string{"cpu", "memory", "pids"}},
		},
		{
			name:     "v2 delegated, only the delegation point writable",
			fixture:  "v2-delegated",
			writable: []string{userManager},
			want: Host{Version: V2, Mount: "/sys/fs/cgroup",
				Own:         "/user.slice/user-1000.slice/user@1000.service/app.slice/app-nook-test.scope",
				Dir:         userManager + "/app.slice/app-nook-test.scope",
				Controllers: []string{"memory", "pids"},
				Writable:    userManager,
				Delegated:   []string{"cpu", "memory", "pids"}},
		},
		{
			name:    "v2 as root: everything writable",
			fixture: "v2-delegated",
			writable: []string{"/sys/fs/cgroup", "/sys/fs/cgroup/user.slice", "/sys/fs/cgroup/user.slice/user-1000.slice",
				userManager, userManager + "/app.slice", userManager + "/app.slice/app-nook-test.scope"},
			want: Host{Version: V2, Mount: "/sys/fs/cgroup",
				Own:         "/user.slice/user-1000.slice/user@1000.service/app.slice/app-nook-test.scope",
				Dir:         userManager + "/app.slice/app-nook-test.scope",
				Controllers: []string{"memory", "pids"},
				Writable:    "/sys/fs/cgroup",
				Delegated:   []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"}},
		},
		{
			name:    "v2 partly delegated (systemd before 252)",
			fixture: "v2-partly-delegated",
			writable: []string{userManager, userManager + "/app.slice",
				userManager + "/app.slice/app-nook-test.scope"},
			want: Host{Version: V2, Mount: "/sys/fs/cgroup",
				Own:         "/user.slice/user-1000.slice/user@1000.service/app.slice/app-nook-test.scope",
				Dir:         userManager + "/app.slice/app-nook-test.scope",
				Controllers: []string{"memory", "pids"},
				Writable:    userManager,
				Delegated:   []string{"memory", "pids"}},
			wantProblems: []string{"controller cpu is not delegated to you: create /etc/systemd/system/user@.service.d/delegate.conf"},
		},
		{
			name:    "v2 not delegated (ssh session scope)",
			fixture: "v2-not-delegated",
			want: Host{Version: V2, Mount: "/sys/fs/cgroup",
				Own:         "/user.slice/user-1000.slice/session-2.scope",
				Dir:         "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope",
				Controllers: []string{"cpu", "memory", "pids"}},
			wantProblems: []string{"is writable by you: resource limits need a delegated cgroup — start a systemd user manager"},
		},
		{
			name:     "nested in a container with a delegated cgroup namespace",
			fixture:  "nested-in-container",
			writable: []string{"/sys/fs/cgroup"},
			want: Host{Version: V2, Mount: "/sys/fs/cgroup", Own: "/", Dir: "/sys/fs/cgroup",
				Controllers: []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"},
				Writable:    "/sys/fs/cgroup",
				Delegated:   []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"}},
		},
		{
			name:    "nested in a container with a read-only cgroup mount",
			fixture: "nested-in-container",
			want: Host{Version: V2, Mount: "/sys/fs/cgroup", Own: "/", Dir: "/sys/fs/cgroup",
				Controllers: []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"}},
			wantProblems: []string{"start this container with a writable, delegated cgroup"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join("..", "testdata", "cgroups", tt.fixture)
			root, err := filepath.Abs(filepath.Join(dir, "root"))
			if err != nil {
				t.Fatal(err)
			}
			writable := make(map[string]bool)
			for _, w := range tt.writable {
				writable[w] = true
			}
			canWrite := func(p string) bool {
				rel, ok := strings.CutPrefix(p, root)
				if !ok {
					t.Errorf("canWrite(%q) outside the fixture root %s", p, root)
				}
				return writable[filepath.Dir(rel)]
			}
			got, err := discover(open(t, dir, "mountinfo"), open(t, dir, "cgroup"), root, canWrite)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			problems := got.Problems([]string{"cpu", "memory", "pids"})
			if len(problems) != len(tt.wantProblems) {
				t.Fatalf("problems = %q, want %d matching %q", problems, len(tt.wantProblems), tt.wantProblems)
			}
			for i, p := range problems {
				if !strings.Contains(p, tt.wantProblems[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, p, tt.wantProblems[i])
				}
			}
		})
	}
}

func open(t *testing.T, dir, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestDiscoverMountSelection(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"sys/fs/cgroup", "sys/fs/cgroup/job", "mnt/cg", "mnt/other"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "sys/fs/cgroup/job/cgroup.controllers"), []byte("memory pids\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	never := func(string) bool { return false }
	tests := []struct {
		name, mountinfo, cgroup string
		wantMount, wantDir      string
	}{
		{
			name: "bind mount of our own cgroup (container without a cgroup namespace)",
			mountinfo: "1 0 0:1 / / rw - ext4 a rw\n" +
				"2 1 0:2 /job /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			cgroup:    "0::/job\n",
			wantMount: "/sys/fs/cgroup", wantDir: "/sys/fs/cgroup",
		},
		{
			name: "prefer the mount that shows our cgroup",
			mountinfo: "1 0 0:1 / / rw - ext4 a rw\n" +
				"2 1 0:2 /other /mnt/other rw - cgroup2 cgroup2 rw\n" +
				"3 1 0:2 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			cgroup:    "0::/job\n",
			wantMount: "/sys/fs/cgroup", wantDir: "/sys/fs/cgroup/job",
		},
		{
			name: "shadowed by a later mount",
			mountinfo: "1 0 0:1 / / rw - ext4 a rw\n" +
				"2 1 0:2 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n" +
				"3 1 0:3 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n" +
				"4 3 0:2 / /mnt/cg rw - cgroup2 cgroup2 rw\n",
			cgroup:    "0::/job\n",
			wantMount: "/mnt/cg", wantDir: "",
		},
		{
			name: "outside our cgroup namespace",
			mountinfo: "1 0 0:1 / / rw - ext4 a rw\n" +
				"2 1 0:2 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			cgroup:    "0::/../job\n",
			wantMount: "/sys/fs/cgroup", wantDir: "",
		},
		{
			name: "mount from another cgroup namespace",
			mountinfo: "1 0 0:1 / / rw - ext4 a rw\n" +
				"2 1 0:2 /../.. /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			cgroup:    "0::/job\n",
			wantMount: "/sys/fs/cgroup", wantDir: "",
		},
		{
			name: "our cgroup is missing below the mount",
			mountinfo: "1 0 0:1 / / rw - ext4 a rw\n" +
				"2 1 0:2 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			cgroup:    "0::/gone\n",
			wantMount: "/sys/fs/cgroup", wantDir: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := discover(strings.NewReader(tt.mountinfo), strings.NewReader(tt.cgroup), root, never)
			if err != nil {
				t.Fatal(err)
			}
			if h.Mount != tt.wantMount || h.Dir != tt.wantDir {
				t.Errorf("mount, dir = %q, %q; want %q, %q", h.Mount, h.Dir, tt.wantMount, tt.wantDir)
			}
		})
	}
}

func TestDelegationPoint(t *testing.T) {
	tests := []struct {
		name     string
		dir      string
		writable []string
		want     string
	}{
		{"nothing writable", "/cg/a/b", nil, ""},
		{"only self", "/cg/a/b", []string{"/cg/a/b"}, "/cg/a/b"},
		{"run up to a", "/cg/a/b", []string{"/cg/a/b", "/cg/a"}, "/cg/a"},
		{"nearest is an ancestor", "/cg/a/b", []string{"/cg/a"}, "/cg/a"},
		{"run broken: stop at the first gap", "/cg/a/b/c", []string{"/cg/a/b/c", "/cg/a"}, "/cg/a/b/c"},
		{"stops at the mount point", "/cg/a", []string{"/cg/a", "/cg", "/"}, "/cg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := make(map[string]bool)
			for _, w := range tt.writable {
				set[w] = true
			}
			if got := delegationPoint(tt.dir, "/cg", func(d string) bool { return set[d] }); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRelativeTo(t *testing.T) {
	tests := []struct {
		root, own, want string
		ok              bool
	}{
		{"/", "/a/b", "/a/b", true},
		{"/a", "/a", "/", true},
		{"/a", "/a/b", "/b", true},
		{"/a", "/ab", "", false},
		{"/", "/../x", "", false},
		{"/..", "/x", "", false},
		{"/", "", "", false},
	}
	for _, tt := range tests {
		got, ok := relativeTo(tt.root, tt.own)
		if got != tt.want || ok != tt.ok {
			t.Errorf("relativeTo(%q, %q) = %q, %v; want %q, %v", tt.root, tt.own, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDiscoverReadsProcAndBus(t *testing.T) {
	proc := t.TempDir()
	if err := os.Mkdir(filepath.Join(proc, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"mountinfo": "1 0 0:1 / / rw - ext4 a rw\n32 1 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n",
		"cgroup":    "1:cpu:/\n",
	} {
		if err := os.WriteFile(filepath.Join(proc, "self", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	xdg := t.TempDir()
	l, err := net.Listen("unix", filepath.Join(xdg, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	h, err := Discover(proc, xdg)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != V1 || !h.SystemdUserBus {
		t.Errorf("got %+v, want v1 with a user bus", h)
	}
	if h, err = Discover(proc, t.TempDir()); err != nil || h.SystemdUserBus {
		t.Errorf("no socket: got %+v, %v", h, err)
	}
	if _, err := Discover(t.TempDir(), ""); err == nil || !strings.Contains(err.Error(), "discover cgroups") {
		t.Errorf("missing mountinfo: err = %v", err)
	}
}
