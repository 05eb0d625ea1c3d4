package cgroups

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

const (
	um  = "user.slice/user-1000.slice/user@1000.service"
	ctr = um + "/nook/4242-abc" // the container's cgroup for name "abc"
)

// systemdHost lays out a systemd user session: the user manager's cgroup um
// delegated with the controllers delegated, of which subtree are enabled
// for its children, and nook (pid 100) in um/init.scope.
func systemdHost(k *fakeKernel, delegated, subtree string) Host {
	k.cgroup("user.slice", "cpuset cpu io memory pids", "cpuset cpu io memory pids")
	k.cgroup("user.slice/user-1000.slice", "cpuset cpu io memory pids", delegated)
	k.cgroup(um, delegated, subtree)
	k.cgroup(um+"/init.scope", subtree, "", 100)
	return Host{Version: V2, Mount: k.root, Own: "/" + um + "/init.scope", Dir: k.p(um + "/init.scope"),
		Controllers: fields(subtree), Writable: k.p(um), Delegated: fields(delegated)}
}

// containerHost is nook inside a container whose runtime delegated the root
// of its cgroup namespace, "ns" here: it holds the container's processes,
// nook (7) among them.
func containerHost(k *fakeKernel) Host {
	k.cgroup("ns", "cpuset cpu io memory pids", "", 1, 7)
	return Host{Version: V2, Mount: k.p("ns"), Own: "/", Dir: k.p("ns"), Writable: k.p("ns"),
		Controllers: fields("cpuset cpu io memory pids"), Delegated: fields("cpuset cpu io memory pids")}
}

func TestCreate(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name   string
		kernel func(k *fakeKernel) // kernel quirks, before the host is laid out
		host   func(k *fakeKernel) Host
		parent string
		limits Limits
		// wantDir is the container's cgroup relative to the fake root; ""
		// means Create must fail with wantErr.
		wantDir string
		wantErr string
		// wantWrites are the writes to the cgroup file system, in order.
		wantWrites []string
		// wantFiles are file contents afterwards, relative to the fake root.
		wantFiles map[string]string
	}{
		{
			name:    "systemd: controllers already enabled for the children of the delegation point",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "cpu memory pids") },
			limits:  Limits{MemoryMax: 64 * mib, PidsMax: 10},
			wantDir: ctr,
			wantWrites: []string{
				um + "/nook/cgroup.subtree_control +memory +pids",
				ctr + "/memory.max 67108864",
				ctr + "/memory.swap.max 67108864",
				ctr + "/pids.max 10",
			},
			wantFiles: map[string]string{
				um + "/init.scope/cgroup.procs": "100\n",
				ctr + "/cgroup.controllers":     "memory pids",
				ctr + "/memory.max":             "67108864",
				ctr + "/pids.max":               "10",
			},
		},
		{
			name:    "fresh delegation (the test VM): enabled from the delegation point down",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "") },
			limits:  Limits{CPUQuota: 50000, CPUPeriod: 100000},
			wantDir: ctr,
			wantWrites: []string{
				um + "/cgroup.subtree_control +memory +cpu +pids",
				um + "/nook/cgroup.subtree_control +memory +cpu +pids",
				ctr + "/cpu.max 50000 100000",
			},
			wantFiles: map[string]string{ctr + "/cgroup.controllers": "memory cpu pids", ctr + "/cpu.max": "50000 100000"},
		},
		{
			name:       "no limits: the accounting controllers only, no cpu",
			host:       func(k *fakeKernel) Host { return systemdHost(k, "cpu io memory pids", "cpu memory pids") },
			wantDir:    ctr,
			wantWrites: []string{um + "/cgroup.subtree_control +io", um + "/nook/cgroup.subtree_control +memory +pids +io"},
			wantFiles:  map[string]string{ctr + "/cgroup.controllers": "memory pids io", ctr + "/memory.max": "max\n"},
		},
		{
			name:    "namespace root with processes: they move to nook-init first",
			host:    containerHost,
			limits:  Limits{MemoryMax: 64 * mib},
			wantDir: "ns/nook/4242-abc",
			wantWrites: []string{
				"ns/nook-init/cgroup.procs 1",
				"ns/nook-init/cgroup.procs 7",
				"ns/cgroup.subtree_control +memory +pids +io",
				"ns/nook/cgroup.subtree_control +memory +pids +io",
				"ns/nook/4242-abc/memory.max 67108864",
				"ns/nook/4242-abc/memory.swap.max 67108864",
			},
			wantFiles: map[string]string{"ns/cgroup.procs": "", "ns/nook-init/cgroup.procs": "1\n7\n"},
		},
		{
			name:      "namespace root with processes, no limits: nothing moves, no controllers",
			host:      containerHost,
			wantDir:   "ns/nook/4242-abc",
			wantFiles: map[string]string{"ns/cgroup.procs": "1\n7\n", "ns/nook/4242-abc/cgroup.controllers": ""},
		},
		{
			name: "the root cgroup (root on a pure v2 host): processes may stay",
			host: func(k *fakeKernel) Host {
				k.put("", map[string]string{"cgroup.procs": "1\n2\n3\n"})
				all := "cpuset cpu io memory hugetlb pids rdma misc"
				return Host{Version: V2, Mount: k.root, Own: "/", Dir: k.root, Writable: k.root,
					Controllers: fields(all), Delegated: fields(all)}
			},
			limits:  Limits{PidsMax: 5},
			wantDir: "nook/4242-abc",
			wantWrites: []string{
				"cgroup.subtree_control +memory +pids +io",
				"nook/cgroup.subtree_control +memory +pids +io",
				"nook/4242-abc/pids.max 5",
			},
			wantFiles: map[string]string{"cgroup.procs": "1\n2\n3\n"},
		},
		{
			name:    "relative --cgroup-parent: created below the delegation point",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			parent:  "batch/jobs",
			limits:  Limits{CPUWeight: 39},
			wantDir: um + "/batch/jobs/nook/4242-abc",
			wantWrites: []string{
				um + "/cgroup.subtree_control +cpu",
				um + "/batch/cgroup.subtree_control +memory +cpu +pids",
				um + "/batch/jobs/cgroup.subtree_control +memory +cpu +pids",
				um + "/batch/jobs/nook/cgroup.subtree_control +memory +cpu +pids",
				um + "/batch/jobs/nook/4242-abc/cpu.weight 39",
			},
		},
		{
			name:    "absolute --cgroup-parent below the delegation point",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			parent:  "/" + um + "/mine/",
			wantDir: um + "/mine/nook/4242-abc",
			wantWrites: []string{
				um + "/mine/cgroup.subtree_control +memory +pids",
				um + "/mine/nook/cgroup.subtree_control +memory +pids",
			},
		},
		{
			name:    "absolute --cgroup-parent outside the delegation point",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			parent:  "/system.slice",
			wantErr: "--cgroup-parent /system.slice: ",
		},
		{
			name:    "relative --cgroup-parent climbing out",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			parent:  "../../other",
			wantErr: "/user.slice/other is outside your delegated cgroup",
		},
		{
			name:    "--cgroup-parent inside nook's own cgroups",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			parent:  "nook/4242-other",
			wantErr: "belongs to nook itself: give another cgroup",
		},
		{
			name:    "a controller the host does not delegate",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			limits:  Limits{CPUSetCPUs: "0", MemoryMax: 64 * mib},
			wantErr: "cannot apply --cpuset-cpus: controller cpuset is not delegated to you: create /etc/systemd/system/user@.service.d/delegate.conf",
		},
		{
			name: "no delegation, no limits",
			host: func(k *fakeKernel) Host {
				h := systemdHost(k, "cpu memory pids", "memory pids")
				h.Writable, h.Delegated = "", nil
				return h
			},
			wantErr: "cannot create a cgroup for the container: no cgroup from ",
		},
		{
			name:    "invalid limits",
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			limits:  Limits{MemoryMax: 64 * mib, MemorySwap: 32 * mib},
			wantErr: "--memory-swap 32MiB is smaller than --memory 64MiB",
		},
		{
			name:    "no swap accounting: the swap --memory implies is dropped",
			kernel:  func(k *fakeKernel) { k.noSwap = true },
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			limits:  Limits{MemoryMax: 64 * mib},
			wantDir: ctr,
			wantWrites: []string{
				um + "/nook/cgroup.subtree_control +memory +pids",
				ctr + "/memory.max 67108864",
				ctr + "/memory.swap.max 67108864",
			},
		},
		{
			name:    "no swap accounting: an explicit --memory-swap fails, and the cgroup goes",
			kernel:  func(k *fakeKernel) { k.noSwap = true },
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu memory pids", "memory pids") },
			limits:  Limits{MemoryMax: 64 * mib, MemorySwap: 128 * mib},
			wantErr: "--memory-swap: this kernel offers no memory.swap.max in ",
		},
		{
			name:    "BFQ's io.bfq.weight when there is no io.weight",
			kernel:  func(k *fakeKernel) { k.noIOWt = true },
			host:    func(k *fakeKernel) Host { return systemdHost(k, "cpu io memory pids", "io memory pids") },
			limits:  Limits{IOWeight: 500},
			wantDir: ctr,
			wantWrites: []string{
				um + "/nook/cgroup.subtree_control +memory +pids +io",
				ctr + "/io.weight default 500",
				ctr + "/io.bfq.weight default 50",
			},
		},
		{
			name: "the name is taken",
			host: func(k *fakeKernel) Host {
				h := systemdHost(k, "cpu memory pids", "memory pids")
				k.cgroup(um+"/nook", "memory pids", "memory pids")
				k.cgroup(ctr, "memory pids", "")
				return h
			},
			wantErr: "create cgroup: mkdir ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newFakeKernel(t)
			if tt.kernel != nil {
				tt.kernel(k)
			}
			h := tt.host(k)
			c, err := k.manager().create(h, tt.parent, "abc", tt.limits)
			if tt.wantDir == "" {
				checkErr(t, err, tt.wantErr)
				if _, err := os.Stat(k.p(ctr)); err == nil && tt.name != "the name is taken" {
					t.Errorf("the failed Create left %s behind", ctr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Dir != k.p(tt.wantDir) {
				t.Errorf("Dir = %s, want %s", c.Dir, k.p(tt.wantDir))
			}
			if !k.isCgroup(c.Dir) {
				t.Errorf("%s is not a cgroup", c.Dir)
			}
			if got := k.writes; !reflect.DeepEqual(got, tt.wantWrites) && (len(got) > 0 || len(tt.wantWrites) > 0) {
				t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantWrites, "\n"))
			}
			for name, want := range tt.wantFiles {
				if got := k.get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			checkFD(t, c)
		})
	}
}

// checkFD checks that FD is the cgroup's directory, open until Close.
func checkFD(t *testing.T, c *Cgroup) {
	t.Helper()
	fd := c.FD()
	if fd < 0 {
		t.Fatalf("FD() = %d", fd)
	}
	var st, want syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(c.Dir, &want); err != nil {
		t.Fatal(err)
	}
	if st.Ino != want.Ino || st.Dev != want.Dev {
		t.Errorf("FD() is not %s", c.Dir)
	}
	flags, err := fcntl(fd, syscall.F_GETFD)
	if err != nil || flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("FD() is not close-on-exec (flags %#x, %v)", flags, err)
	}
	c.Close()
	if c.FD() != -1 {
		t.Errorf("FD() after Close = %d, want -1", c.FD())
	}
	if err := syscall.Fstat(fd, &st); !errors.Is(err, syscall.EBADF) {
		t.Errorf("fd %d still open after Close (%v)", fd, err)
	}
	c.Close() // again: no effect
}

func fcntl(fd, cmd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func TestCreateInvalidName(t *testing.T) {
	k := newFakeKernel(t)
	h := systemdHost(k, "memory pids", "memory pids")
	for _, name := range []string{"", ".", "..", "a/b"} {
		_, err := k.manager().create(h, "", name, Limits{})
		checkErr(t, err, "create cgroup: invalid container name")
	}
	if len(k.writes) > 0 {
		t.Errorf("writes for invalid names: %q", k.writes)
	}
}

// A second container that needs a controller the first did not enables it
// along the existing path; the first keeps its cgroup.
func TestCreateSecondContainer(t *testing.T) {
	k := newFakeKernel(t)
	h := systemdHost(k, "cpu memory pids", "memory pids")
	m := k.manager()
	first, err := m.create(h, "", "one", Limits{MemoryMax: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	n := len(k.writes)
	second, err := m.create(h, "", "two", Limits{CPUQuota: 20000})
	if err != nil {
		t.Fatal(err)
	}
	second.Close()
	want := []string{
		um + "/cgroup.subtree_control +cpu",
		um + "/nook/cgroup.subtree_control +cpu",
		um + "/nook/4242-two/cpu.max 20000 100000",
	}
	if got := k.writesSince(n); !reflect.DeepEqual(got, want) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := k.get(um + "/nook/4242-two/cgroup.controllers"); got != "memory cpu pids" {
		t.Errorf("second container's controllers = %q", got)
	}
	if !k.isCgroup(first.Dir) {
		t.Error("the first container's cgroup went")
	}
}

// Processes that fork while nook moves them out are moved too.
func TestEvacuateLateForks(t *testing.T) {
	k := newFakeKernel(t)
	h := containerHost(k)
	forks := &forkingFS{fakeKernel: k, parent: "ns", pids: []int{8, 9}}
	m := k.manager()
	m.fs = forks
	c, err := m.create(h, "", "abc", Limits{PidsMax: 10})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := k.get("ns/nook-init/cgroup.procs"); got != "1\n7\n8\n9\n" {
		t.Errorf("nook-init/cgroup.procs = %q", got)
	}
}

// forkingFS adds a process to parent after each move into nook-init.
type forkingFS struct {
	*fakeKernel
	parent string
	pids   []int
}

func (f *forkingFS) WriteFile(name, value string) error {
	err := f.fakeKernel.WriteFile(name, value)
	if strings.HasSuffix(name, "nook-init/cgroup.procs") && len(f.pids) > 0 {
		rel := filepath.Join(f.parent, "cgroup.procs")
		f.put(f.parent, map[string]string{"cgroup.procs": f.get(rel) + pidList(f.pids[:1])})
		f.pids = f.pids[1:]
	}
	return err
}

// A process that exits between the listing and its move is no error.
func TestEvacuateExitedProcess(t *testing.T) {
	k := newFakeKernel(t)
	h := containerHost(k)
	m := k.manager()
	m.fs = &vanishingFS{fakeKernel: k, pid: 1}
	c, err := m.create(h, "", "abc", Limits{PidsMax: 10})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := k.get("ns/nook-init/cgroup.procs"); got != "7\n" {
		t.Errorf("nook-init/cgroup.procs = %q", got)
	}
}

// vanishingFS makes pid exit just before it would be moved.
type vanishingFS struct {
	*fakeKernel
	pid int
}

func (v *vanishingFS) WriteFile(name, value string) error {
	if strings.HasSuffix(name, "/cgroup.procs") && value == "1" {
		v.take(v.pid)
	}
	return v.fakeKernel.WriteFile(name, value)
}

func TestRemove(t *testing.T) {
	tests := []struct {
		name       string
		kernel     func(k *fakeKernel)
		wantKilled []int
		wantErr    string
	}{
		{name: "cgroup.kill", wantKilled: []int{501, 502, 503}},
		{name: "without cgroup.kill: SIGKILL to each", kernel: func(k *fakeKernel) { k.noKill = true },
			wantKilled: []int{503, 501, 502}},
		{name: "still exiting: rmdir retried", kernel: func(k *fakeKernel) { k.busyRmdirs = 3 },
			wantKilled: []int{501, 502, 503}},
		{name: "a process that will not die", kernel: func(k *fakeKernel) { k.stuck = []int{502} },
			wantErr: "still busy after 50ms (1 processes in cgroup.procs)"},
		{name: "rmdir keeps failing", kernel: func(k *fakeKernel) { k.busyRmdirs = 1 << 20 },
			wantErr: "still busy after 50ms (0 processes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newFakeKernel(t)
			if tt.kernel != nil {
				tt.kernel(k)
			}
			systemdHost(k, "memory pids", "memory pids")
			k.cgroup(um+"/nook", "memory pids", "memory pids")
			k.cgroup(ctr, "memory pids", "memory", 501, 502)
			// The container made a cgroup of its own (cgroupns-rw).
			k.cgroup(ctr+"/inner", "memory", "", 503)
			c := &Cgroup{Dir: k.p(ctr), m: k.manager()}
			err := c.Remove()
			checkErr(t, err, tt.wantErr)
			if err != nil {
				return
			}
			if _, err := os.Stat(c.Dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s is still there", c.Dir)
			}
			if !reflect.DeepEqual(k.killed, tt.wantKilled) {
				t.Errorf("killed %v, want %v", k.killed, tt.wantKilled)
			}
			if !k.isCgroup(k.p(um + "/nook")) {
				t.Error("the nook subtree went too")
			}
			if err := c.Remove(); err != nil {
				t.Errorf("second Remove: %v", err)
			}
		})
	}
}

func TestSweep(t *testing.T) {
	k := newFakeKernel(t)
	systemdHost(k, "memory pids", "memory pids")
	k.cgroup(um+"/nook", "memory pids", "memory pids")
	stale := []string{"300-dead", "301-dead-too"}
	kept := []string{"200-live", "4242-mine", "notnook", "abc-def", "0-zero", "-x", "300-", "99999999999-big"}
	for _, name := range append(append([]string(nil), stale...), kept...) {
		k.cgroup(um+"/nook/"+name, "memory pids", "")
	}
	k.put(um+"/nook/300-dead", map[string]string{"cgroup.procs": "600\n601\n"})
	k.put(um+"/nook/200-live", map[string]string{"cgroup.procs": "700\n"})
	if err := os.WriteFile(k.p(um+"/nook/123-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m := k.manager(200)
	if n := m.sweep(k.p(um + "/nook")); n != len(stale) {
		t.Errorf("sweep removed %d, want %d", n, len(stale))
	}
	for _, name := range stale {
		if _, err := os.Stat(k.p(um + "/nook/" + name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale %s is still there", name)
		}
	}
	for _, name := range kept {
		if !k.isCgroup(k.p(um + "/nook/" + name)) {
			t.Errorf("%s was removed", name)
		}
	}
	if !reflect.DeepEqual(k.killed, []int{600, 601}) {
		t.Errorf("killed %v, want the stale cgroup's 600 and 601", k.killed)
	}
	if got := k.get(um + "/nook/200-live/cgroup.procs"); got != "700\n" {
		t.Errorf("the live cgroup's processes = %q", got)
	}
	if n := m.sweep(k.p(um + "/nook")); n != 0 {
		t.Errorf("second sweep removed %d", n)
	}
	if n := m.sweep(k.p("nowhere")); n != 0 {
		t.Errorf("sweep of a missing directory removed %d", n)
	}
	if n := Sweep(Host{}); n != 0 {
		t.Errorf("Sweep without a delegation point = %d", n)
	}
}

func TestOwnerOf(t *testing.T) {
	tests := []struct {
		name string
		pid  int
		ok   bool
	}{
		{"123-abc", 123, true},
		{"1-a-b", 1, true},
		{"123-", 0, false},
		{"-abc", 0, false},
		{"0-abc", 0, false},
		{"abc", 0, false},
		{"12a-b", 0, false},
		{"+12-b", 0, false},
		{"12345678901-b", 0, false},
	}
	for _, tt := range tests {
		pid, ok := ownerOf(tt.name)
		if pid != tt.pid || ok != tt.ok {
			t.Errorf("ownerOf(%q) = %d, %v; want %d, %v", tt.name, pid, ok, tt.pid, tt.ok)
		}
	}
}

func TestOOMKilled(t *testing.T) {
	tests := []struct {
		name    string
		events  *string // nil: no memory.events
		want    bool
		wantErr string
	}{
		{name: "no memory controller", events: nil},
		{name: "nothing happened", events: ptr("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n")},
		{name: "limit reached, reclaimed", events: ptr("low 0\nhigh 0\nmax 12\noom 0\noom_kill 0\n")},
		{name: "oom without a kill", events: ptr("max 12\noom 1\noom_kill 0\n")},
		{name: "a kill", events: ptr("low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n"), want: true},
		{name: "a group kill", events: ptr("oom 1\noom_kill 0\noom_group_kill 1\n"), want: true},
		{name: "older kernel without oom_group_kill", events: ptr("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n"), want: true},
		{name: "malformed", events: ptr("oom_kill many\n"), wantErr: `memory.events: oom_kill is not a number: "many"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.events != nil {
				writeFiles(t, dir, map[string]string{"memory.events": *tt.events})
			}
			// A bare Cgroup, as a process that did not create it would make.
			got, err := (&Cgroup{Dir: dir}).OOMKilled()
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestBareCgroup(t *testing.T) {
	c := &Cgroup{Dir: filepath.Join(t.TempDir(), "gone")}
	if c.FD() != -1 {
		t.Errorf("FD() = %d, want -1", c.FD())
	}
	c.Close()
	if err := c.Remove(); err != nil {
		t.Errorf("Remove of a missing cgroup: %v", err)
	}
}

func TestCheckLimits(t *testing.T) {
	delegated := Host{Version: V2, Mount: "/sys/fs/cgroup", Own: "/" + um, Dir: "/sys/fs/cgroup/" + um,
		Writable: "/sys/fs/cgroup/" + um, Delegated: []string{"cpu", "memory", "pids"}}
	tests := []struct {
		name    string
		host    Host
		limits  Limits
		wantErr string
	}{
		{name: "no limits on v1", host: Host{Version: V1}},
		{name: "no limits without any cgroup fs", host: Host{}},
		{name: "delegated", host: delegated, limits: Limits{MemoryMax: 64 << 20, PidsMax: 5, CPUQuota: 1000}},
		{name: "v1", host: Host{Version: V1}, limits: Limits{MemoryMax: 64 << 20, MemorySwap: 128 << 20},
			wantErr: "cannot apply --memory, --memory-swap: cgroup v2 is not the unified hierarchy on this host (v1): resource limits need cgroup v2 — boot with"},
		{name: "hybrid", host: Host{Version: Hybrid, Mount: "/sys/fs/cgroup/unified"}, limits: Limits{PidsMax: 10},
			wantErr: "cannot apply --pids-limit: cgroup v2 is not the unified hierarchy on this host (hybrid"},
		{name: "not delegated", host: Host{Version: V2, Mount: "/sys/fs/cgroup", Own: "/user.slice/user-1000.slice/session-2.scope",
			Dir: "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope"}, limits: Limits{CPUWeight: 50},
			wantErr: "cannot apply --cpu-shares/--cpu-weight: no cgroup from /sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope up to /sys/fs/cgroup is writable by you"},
		{name: "only the missing controller's flags", host: delegated,
			limits:  Limits{MemoryMax: 64 << 20, CPUSetCPUs: "0", IOWeight: 100},
			wantErr: "cannot apply --cpuset-cpus, --io-weight: controllers cpuset, io are not delegated to you: create /etc/systemd/system/user@.service.d/delegate.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, CheckLimits(tt.host, tt.limits), tt.wantErr)
		})
	}
}

func TestChain(t *testing.T) {
	tests := []struct {
		top, bottom string
		want        []string
	}{
		{"/cg/a", "/cg/a", []string{"/cg/a"}},
		{"/cg/a", "/cg/a/nook", []string{"/cg/a", "/cg/a/nook"}},
		{"/cg/a", "/cg/a/b/c/nook", []string{"/cg/a", "/cg/a/b", "/cg/a/b/c", "/cg/a/b/c/nook"}},
		{"/", "/nook", []string{"/", "/nook"}},
	}
	for _, tt := range tests {
		if got := chain(tt.top, tt.bottom); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("chain(%q, %q) = %q, want %q", tt.top, tt.bottom, got, tt.want)
		}
	}
}

func TestBFQWeight(t *testing.T) {
	for in, want := range map[uint64]uint64{1: 1, 100: 10, 500: 50, 5000: 500, 10000: 1000} {
		if got := bfqWeight(in); got != want {
			t.Errorf("bfqWeight(%d) = %d, want %d", in, got, want)
		}
	}
}

// The real file system's side, on plain files: no file is ever created by a
// write, rmdir is rmdir, SubDirs lists directories only.
func TestOSFS(t *testing.T) {
	dir := t.TempDir()
	var o osFS
	if err := o.WriteFile(filepath.Join(dir, "memory.max"), "1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("write to a missing file: %v, want ENOENT", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "memory.max")); err == nil {
		t.Error("WriteFile created the file")
	}
	writeFiles(t, dir, map[string]string{"cgroup.procs": ""})
	if err := o.WriteFile(filepath.Join(dir, "cgroup.procs"), "123"); err != nil {
		t.Fatal(err)
	}
	if b, _ := o.ReadFile(filepath.Join(dir, "cgroup.procs")); string(b) != "123" {
		t.Errorf("cgroup.procs = %q", b)
	}
	sub := filepath.Join(dir, "child")
	if err := o.Mkdir(sub); err != nil {
		t.Fatal(err)
	}
	if err := o.Mkdir(sub); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second mkdir: %v, want EEXIST", err)
	}
	if names, err := o.SubDirs(dir); err != nil || !reflect.DeepEqual(names, []string{"child"}) {
		t.Errorf("SubDirs = %q, %v", names, err)
	}
	if err := o.Rmdir(dir); !errors.Is(err, syscall.ENOTEMPTY) || !strings.Contains(err.Error(), "rmdir "+dir) {
		t.Errorf("rmdir of a non-empty dir: %v", err)
	}
	if err := o.Rmdir(sub); err != nil {
		t.Fatal(err)
	}
	if err := o.Rmdir(sub); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("rmdir of a missing dir: %v, want ENOENT", err)
	}
}

func TestProcessExists(t *testing.T) {
	if !processExists(os.Getpid()) {
		t.Error("this process does not exist")
	}
	// Above the largest pid_max the kernel allows.
	if processExists(1<<22 + 1) {
		t.Error("pid 4194305 exists")
	}
}
