package cgroups

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	session = "user.slice/user-1000.slice/session-2.scope"
	scope   = um + "/app.slice/nook-abc.scope"
)

// desktopHost is a login through systemd-logind: nook (4242) runs in its
// session scope, which is not delegated; the user manager um is, with the
// controllers delegated, and its bus is there.
func desktopHost(k *fakeKernel, delegated string) Host {
	k.cgroup("user.slice", "cpuset cpu io memory pids", "cpuset cpu io memory pids")
	k.cgroup("user.slice/user-1000.slice", "cpuset cpu io memory pids", "cpuset cpu io memory pids")
	k.cgroup(session, "cpuset cpu io memory pids", "", 4242)
	k.cgroup(um, delegated, "")
	return Host{Version: V2, Mount: k.root, Own: "/" + session, Dir: k.p(session),
		Controllers: fields("cpuset cpu io memory pids"), SystemdUserBus: true}
}

// fakeUserManager does what systemd's user manager does for
// StartTransientUnit of a delegated scope: it enables the delegated
// controllers down to app.slice, makes the scope and moves the PIDs into it.
// It records the call, and the number of writes made until then in mark.
type fakeUserManager struct {
	k     *fakeKernel
	unit  string
	props []property
	mark  int
	err   error // returned instead
}

func (f *fakeUserManager) start(ctx context.Context, unit string, props []property) error {
	if _, ok := ctx.Deadline(); !ok {
		f.k.t.Error("StartTransientUnit without a deadline")
	}
	f.unit, f.props = unit, props
	if f.err != nil {
		return f.err
	}
	k := f.k
	delegated := k.get(filepath.Join(um, "cgroup.controllers"))
	k.put(um, map[string]string{"cgroup.subtree_control": delegated})
	for _, d := range []string{um + "/app.slice", scope} {
		if err := k.Mkdir(k.p(d)); err != nil {
			return err
		}
	}
	k.put(um+"/app.slice", map[string]string{"cgroup.subtree_control": delegated})
	k.put(scope, map[string]string{"cgroup.controllers": delegated})
	k.addFiles(scope)
	for _, p := range props {
		if p.Name == "PIDs" {
			for _, pid := range p.Value.([]uint32) {
				if err := k.WriteFile(k.p(scope+"/cgroup.procs"), itoa(int(pid))); err != nil {
					return err
				}
			}
		}
	}
	f.mark = len(k.writes)
	return nil
}

func itoa(n int) string { return strings.TrimSpace(pidList([]int{n})) }

// selfCgroup is /proc/self/cgroup with the caller in rel.
func selfCgroup(rel string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("0::/" + rel + "\n")), nil }
}

func TestCreateScope(t *testing.T) {
	const mib = 1 << 20
	k := newFakeKernel(t)
	h := desktopHost(k, "cpu io memory pids")
	f := &fakeUserManager{k: k}
	c, err := k.manager().createScope(h, "", "abc", Limits{MemoryMax: 64 * mib}, f.start, selfCgroup(scope))
	if err != nil {
		t.Fatal(err)
	}
	if f.unit != "nook-abc.scope" {
		t.Errorf("unit %q, want nook-abc.scope", f.unit)
	}
	if want := scopeProperties("abc", "", 4242); !reflect.DeepEqual(f.props, want) {
		t.Errorf("properties %v, want %v", f.props, want)
	}
	if c.Dir != k.p(scope+"/container") {
		t.Errorf("Dir = %s, want %s", c.Dir, k.p(scope+"/container"))
	}
	want := []string{
		scope + "/supervisor/cgroup.procs 4242",
		scope + "/cgroup.subtree_control +memory +pids +io",
		scope + "/container/memory.max 67108864",
		scope + "/container/memory.swap.max 67108864",
	}
	if got := k.writesSince(f.mark); !reflect.DeepEqual(got, want) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for rel, body := range map[string]string{
		session + "/cgroup.procs":               "",
		scope + "/cgroup.procs":                 "",
		scope + "/supervisor/cgroup.procs":      "4242\n",
		scope + "/container/cgroup.procs":       "",
		scope + "/container/cgroup.controllers": "memory pids io",
		scope + "/container/memory.max":         "67108864",
	} {
		if got := k.get(rel); got != body {
			t.Errorf("%s = %q, want %q", rel, got, body)
		}
	}
	checkFD(t, c)

	// Remove takes the container's cgroup; the scope, with nook in its
	// supervisor, is systemd's to collect once nook is gone.
	k.put(scope+"/container", map[string]string{"cgroup.procs": "77\n"})
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if k.isCgroup(k.p(scope + "/container")) {
		t.Error("the container's cgroup is still there")
	}
	if !k.isCgroup(k.p(scope+"/supervisor")) || k.get(scope+"/supervisor/cgroup.procs") != "4242\n" {
		t.Error("the supervisor cgroup lost nook")
	}
	if !reflect.DeepEqual(k.killed, []int{77}) {
		t.Errorf("killed %v, want [77]", k.killed)
	}
}

func TestCreateScopeNoLimits(t *testing.T) {
	k := newFakeKernel(t)
	f := &fakeUserManager{k: k}
	c, err := k.manager().createScope(desktopHost(k, "cpu memory pids"), "nook.slice", "abc", Limits{}, f.start, selfCgroup(scope))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := []string{scope + "/supervisor/cgroup.procs 4242", scope + "/cgroup.subtree_control +memory +pids"}
	if got := k.writesSince(f.mark); !reflect.DeepEqual(got, want) {
		t.Errorf("writes %q, want %q", got, want)
	}
	if last := f.props[len(f.props)-1]; last.Name != "Slice" || last.Value != "nook.slice" {
		t.Errorf("last property %v, want Slice nook.slice", last)
	}
}

func TestCreateScopeErrors(t *testing.T) {
	const mib = 1 << 20
	v1 := func(k *fakeKernel) Host { return Host{Version: V1} }
	desktop := func(k *fakeKernel) Host { return desktopHost(k, "cpu memory pids") }
	for _, tc := range []struct {
		name    string
		host    func(k *fakeKernel) Host
		slice   string
		cname   string
		limits  Limits
		startFn error // what StartTransientUnit fails with
		self    string
		noStart bool // systemd must not be asked
		want    string
	}{
		{name: "cgroup v1", host: v1, noStart: true, want: "the systemd cgroup manager needs cgroup v2, which this host lacks (v1): use --cgroup-manager=cgroupfs"},
		{name: "cgroup v1 with a limit", host: v1, limits: Limits{MemoryMax: 64 * mib}, noStart: true,
			want: "cannot apply --memory: cgroup v2 is not the unified hierarchy"},
		{name: "own cgroup invisible", host: func(k *fakeKernel) Host { return Host{Version: V2, Mount: k.root, Own: "/.."} },
			noStart: true, want: "is not visible under the cgroup2 mount"},
		{name: "a path for a slice", host: desktop, slice: "nook/ctr", noStart: true,
			want: "--cgroup-parent nook/ctr: the systemd cgroup manager takes a slice (e.g. nook.slice)"},
		{name: "invalid name", host: desktop, cname: "a/b", noStart: true, want: "invalid container name"},
		{name: "invalid limits", host: desktop, limits: Limits{MemoryMax: 64 * mib, MemorySwap: 32 * mib}, noStart: true,
			want: "--memory-swap"},
		{name: "the job failed", host: desktop, startFn: errors.New("create cgroup: systemd could not start the scope"),
			want: "create cgroup: systemd could not start the scope"},
		{name: "nook not moved", host: desktop, self: session,
			want: "systemd started nook-abc.scope but did not move nook into it (nook's cgroup is /" + session + ")"},
		{name: "controller not delegated", host: desktop, limits: Limits{IOWeight: 100},
			want: "cannot apply --io-weight: controller io is not delegated to you: create /etc/systemd/system/user@.service.d/delegate.conf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t)
			f := &fakeUserManager{k: k, err: tc.startFn}
			if tc.cname == "" {
				tc.cname = "abc"
			}
			if tc.self == "" {
				tc.self = scope
			}
			_, err := k.manager().createScope(tc.host(k), tc.slice, tc.cname, tc.limits, f.start, selfCgroup(tc.self))
			checkErr(t, err, tc.want)
			if tc.noStart && f.unit != "" {
				t.Errorf("systemd was asked for %s", f.unit)
			}
		})
	}
}

func TestScopeProperties(t *testing.T) {
	got := map[string]any{}
	for _, p := range scopeProperties("abc", "", 4242) {
		got[p.Name] = p.Value
	}
	want := map[string]any{
		"Description": "nook container abc", "PIDs": []uint32{4242},
		"Delegate": true, "CollectMode": "inactive-or-failed",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("properties %v, want %v", got, want)
	}
	// The D-Bus signatures systemd expects.
	for _, p := range scopeProperties("abc", "nook.slice", 1) {
		sig := map[string]string{"Description": "s", "PIDs": "au", "Delegate": "b", "CollectMode": "s", "Slice": "s"}[p.Name]
		if signatureOf(p.Value) != sig {
			t.Errorf("%s has signature %s, want %s", p.Name, signatureOf(p.Value), sig)
		}
	}
}

func TestScopeDir(t *testing.T) {
	unit := "nook-abc.scope"
	full := "/user.slice/user-1000.slice/user@1000.service/app.slice/" + unit
	for _, tc := range []struct {
		name     string
		h        Host
		cgroup   string
		want     string
		wantErr  string
		wantRoot string
	}{
		{name: "host", h: Host{Mount: "/sys/fs/cgroup", Own: "/user.slice/user-1000.slice/session-2.scope",
			Dir: "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope"},
			cgroup: "0::" + full + "\n", want: "/sys/fs/cgroup" + full, wantRoot: "/"},
		{name: "hybrid's unified mount", h: Host{Mount: "/sys/fs/cgroup/unified", Own: "/a", Dir: "/sys/fs/cgroup/unified/a"},
			cgroup: "1:name=systemd:/a\n0::" + full + "\n", want: "/sys/fs/cgroup/unified" + full, wantRoot: "/"},
		{name: "a mount of a subtree", h: Host{Mount: "/mnt", Own: "/user.slice/user-1000.slice/session-2.scope",
			Dir: "/mnt/session-2.scope"},
			cgroup: "0::" + full + "\n", want: "/mnt/user@1000.service/app.slice/" + unit,
			wantRoot: "/user.slice/user-1000.slice"},
		{name: "a mount of the session only", h: Host{Mount: "/mnt", Own: "/user.slice/user-1000.slice/session-2.scope",
			Dir: "/mnt"},
			cgroup: "0::" + full + "\n", wantErr: "is not visible under the cgroup2 mount at /mnt",
			wantRoot: "/user.slice/user-1000.slice/session-2.scope"},
		{name: "a mount of the user manager", h: Host{Mount: "/mnt", Own: "/user.slice/user-1000.slice/user@1000.service",
			Dir: "/mnt"},
			cgroup: "0::" + full + "\n", want: "/mnt/app.slice/" + unit, wantRoot: "/user.slice/user-1000.slice/user@1000.service"},
		{name: "not moved", h: Host{Mount: "/sys/fs/cgroup", Own: "/a", Dir: "/sys/fs/cgroup/a"},
			cgroup: "0::/a\n", wantErr: "did not move nook into it (nook's cgroup is /a)", wantRoot: "/"},
		{name: "no v2 line", h: Host{Mount: "/sys/fs/cgroup", Own: "/a", Dir: "/sys/fs/cgroup/a"},
			cgroup: "1:name=systemd:/\n", wantErr: "nook's cgroup is (unknown)", wantRoot: "/"},
		{name: "malformed", h: Host{Mount: "/sys/fs/cgroup", Own: "/a", Dir: "/sys/fs/cgroup/a"},
			cgroup: "nonsense\n", wantErr: "malformed", wantRoot: "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, ok := tc.h.mountRoot()
			if !ok || root != tc.wantRoot {
				t.Errorf("mountRoot() = %q, %v; want %q", root, ok, tc.wantRoot)
			}
			got, err := scopeDir(tc.h, strings.NewReader(tc.cgroup), unit)
			checkErr(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("scopeDir = %q, want %q", got, tc.want)
			}
		})
	}
	if _, ok := (Host{Mount: "/sys/fs/cgroup", Own: "/a"}).mountRoot(); ok {
		t.Error("mountRoot without Dir")
	}
	if _, ok := (Host{Mount: "/sys/fs/cgroup", Own: "/a", Dir: "/sys/fs/cgroup/b"}).mountRoot(); ok {
		t.Error("mountRoot of a Dir that does not end in Own")
	}
}

func TestIsSlice(t *testing.T) {
	for in, want := range map[string]bool{
		"nook.slice": true, "user.slice": true, ".slice": false, "a/b.slice": false, "nook": false, "": false,
		"/nook.slice": false, "a b.slice": false,
	} {
		if IsSlice(in) != want {
			t.Errorf("IsSlice(%q) = %v", in, !want)
		}
	}
}

func TestUserBusAddress(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x/bus", "XDG_RUNTIME_DIR": "/run/user/1000"}, "unix:path=/x/bus"},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "unix:path=/run/user/1000/bus"},
		{map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:", "XDG_RUNTIME_DIR": "/run/user/1000"}, "unix:path=/run/user/1000/bus"},
		{map[string]string{"XDG_RUNTIME_DIR": "/home/a b;c"}, "unix:path=/home/a%20b%3bc/bus"},
	} {
		got, err := userBusAddress(func(k string) string { return tc.env[k] })
		if err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
	_, err := userBusAddress(func(string) string { return "" })
	checkErr(t, err, "neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set")
	if !errors.Is(err, ErrNoUserManager) {
		t.Errorf("%v is not ErrNoUserManager", err)
	}
}

func TestNoManager(t *testing.T) {
	for name, want := range map[string]bool{
		"org.freedesktop.DBus.Error.ServiceUnknown":         true,
		"org.freedesktop.DBus.Error.NameHasNoOwner":         true,
		"org.freedesktop.DBus.Error.Spawn.ChildExited":      true,
		"org.freedesktop.systemd1.UnitExists":               false,
		"org.freedesktop.DBus.Error.InvalidArgs":            false,
		"org.freedesktop.DBus.Error.AccessDenied":           false,
		"org.freedesktop.DBus.Error.NoReply":                false,
		"org.freedesktop.systemd1.TransactionIsDestructive": false,
	} {
		if got := noManager(&busError{Name: name, Message: "m"}); got != want {
			t.Errorf("noManager(%s) = %v", name, got)
		}
		if got := noManager(fmt.Errorf("wrapped: %w", &busError{Name: name})); got != want {
			t.Errorf("noManager(wrapped %s) = %v", name, got)
		}
	}
	if noManager(errors.New("EOF")) {
		t.Error("noManager(EOF)")
	}
}

// Without a bus socket: a one-line error that says so and names the fix.
func TestStartScopeNoBus(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", dir)
	err := startScope(context.Background(), "nook-abc.scope", scopeProperties("abc", "", 1))
	checkErr(t, err, "no systemd user manager at unix:path="+dir+"/bus (dial unix "+dir+"/bus: connect: no such file or directory)")
	checkErr(t, err, "or use --cgroup-manager=cgroupfs")
	if !errors.Is(err, ErrNoUserManager) {
		t.Errorf("%v is not ErrNoUserManager", err)
	}
}

// A bus that never answers: the deadline ends the wait.
func TestStartScopeSilentBus(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("unix", filepath.Join(dir, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", dir)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = startScope(ctx, "nook-abc.scope", scopeProperties("abc", "", 1))
	checkErr(t, err, "did not answer within")
	if errors.Is(err, ErrNoUserManager) {
		t.Errorf("a silent bus is ErrNoUserManager: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}
