package spec

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/userns"
)

// subIDMap is what newuidmap writes for a user with 65536 subordinate ids:
// gid 5 (tty) exists.
var subIDMap = userns.PlanIDMap(1000, []userns.Range{{Start: 100000, Count: 65536}}, 65536)

// singleMap is a rootless run without subordinate ids: only 0 exists.
var singleMap = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}

func opts(mod func(*Options)) Options {
	o := Options{Args: []string{"true"}, Rootless: true, UIDMap: subIDMap, GIDMap: subIDMap}
	if mod != nil {
		mod(&o)
	}
	return o
}

func mountAt(s *specs.Spec, dst string) []specs.Mount {
	var ms []specs.Mount
	for _, m := range s.Mounts {
		if m.Destination == dst {
			ms = append(ms, m)
		}
	}
	return ms
}

func TestNamespaces(t *testing.T) {
	all := []specs.LinuxNamespaceType{specs.PIDNamespace, specs.MountNamespace, specs.UTSNamespace,
		specs.IPCNamespace, specs.CgroupNamespace, specs.NetworkNamespace, specs.UserNamespace}
	without := func(drop ...specs.LinuxNamespaceType) []specs.LinuxNamespaceType {
		return slices.DeleteFunc(slices.Clone(all), func(t specs.LinuxNamespaceType) bool { return slices.Contains(drop, t) })
	}
	tests := []struct {
		name string
		o    Options
		want []specs.LinuxNamespaceType
	}{
		{"rootless", opts(nil), all},
		{"network none", opts(func(o *Options) { o.Network = "none" }), all},
		{"network host", opts(func(o *Options) { o.Network = "host" }), without(specs.NetworkNamespace)},
		{"real root", opts(func(o *Options) { o.Rootless, o.UIDMap, o.GIDMap = false, nil, nil }), without(specs.UserNamespace)},
		{"real root, network host", opts(func(o *Options) { o.Rootless, o.Network = false, "host" }),
			without(specs.UserNamespace, specs.NetworkNamespace)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, build := range builders() {
				s, err := build.fn(tt.o)
				if err != nil {
					t.Fatal(err)
				}
				var got []specs.LinuxNamespaceType
				for _, ns := range s.Linux.Namespaces {
					if ns.Path != "" {
						t.Errorf("%s: namespace %s joins %s, want a new one", build.name, ns.Type, ns.Path)
					}
					got = append(got, ns.Type)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s: namespaces %v, want %v", build.name, got, tt.want)
				}
			}
		})
	}
}

type builder struct {
	name string
	fn   func(Options) (*specs.Spec, error)
}

// builders make a run's and a sandbox's spec from the same options.
func builders() []builder {
	return []builder{
		{"run", func(o Options) (*specs.Spec, error) { return Container("/rootfs", o) }},
		{"sandbox", func(o Options) (*specs.Spec, error) { return Sandbox(o, "/", nil, nil, nil) }},
	}
}

// The tty group exists in the container only when gid 5 is mapped; naming
// an unmapped gid would make the devpts mount fail.
func TestDevptsGID(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want bool
	}{
		{"subordinate ids", opts(nil), true},
		{"single id", opts(func(o *Options) { o.UIDMap, o.GIDMap = singleMap, singleMap }), false},
		{"real root", opts(func(o *Options) { o.Rootless, o.UIDMap, o.GIDMap = false, nil, nil }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, build := range builders() {
				s, err := build.fn(tt.o)
				if err != nil {
					t.Fatal(err)
				}
				pts := mountAt(s, "/dev/pts")
				if len(pts) != 1 || pts[0].Type != "devpts" {
					t.Fatalf("%s: /dev/pts mounts %+v, want one devpts", build.name, pts)
				}
				if got := slices.Contains(pts[0].Options, "gid=5"); got != tt.want {
					t.Errorf("%s: devpts options %q: gid=5 %v, want %v", build.name, pts[0].Options, got, tt.want)
				}
				if !slices.Contains(pts[0].Options, "newinstance") || !slices.Contains(pts[0].Options, "ptmxmode=0666") {
					t.Errorf("%s: devpts options %q lack newinstance or ptmxmode=0666", build.name, pts[0].Options)
				}
			}
		})
	}
}

// sysfs can only be mounted by the owner of the network namespace: with the
// host's network a run binds the host's /sys read-only, and a sandbox keeps
// the one its read-only host root already has.
func TestSysMount(t *testing.T) {
	sysfs := specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}}
	hostSys := specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rbind", "ro"}}
	tests := []struct {
		build, network string
		want           []specs.Mount
	}{
		{"run", "none", []specs.Mount{sysfs}},
		{"run", "host", []specs.Mount{hostSys}},
		{"sandbox", "none", []specs.Mount{sysfs}},
		{"sandbox", "host", nil},
	}
	for _, tt := range tests {
		t.Run(tt.build+" "+tt.network, func(t *testing.T) {
			i := slices.IndexFunc(builders(), func(b builder) bool { return b.name == tt.build })
			s, err := builders()[i].fn(opts(func(o *Options) { o.Network = tt.network }))
			if err != nil {
				t.Fatal(err)
			}
			got := mountAt(s, "/sys")
			if !slices.EqualFunc(got, tt.want, mountEqual) {
				t.Errorf("/sys mounts %+v, want %+v", got, tt.want)
			}
		})
	}
}

func mountEqual(a, b specs.Mount) bool {
	return a.Destination == b.Destination && a.Type == b.Type && a.Source == b.Source && slices.Equal(a.Options, b.Options)
}

func TestContainer(t *testing.T) {
	o := Options{
		Args: []string{"sh", "-c", "x"}, Env: []string{"A=1"}, Workdir: "/w", User: "1000:10", Hostname: "h",
		Volumes:  []Volume{{Source: "/src", Destination: "/dst", ReadOnly: true}, {Source: "/rw", Destination: "/rw"}},
		Tmpfs:    []Tmpfs{{Destination: "/t", Options: []string{"nosuid", "size=1m"}}},
		ReadOnly: true, Terminal: true, NoNewPrivileges: true, Rootless: true, UIDMap: subIDMap, GIDMap: singleMap,
	}
	s, err := Container("/rootfs", o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Root.Path != "/rootfs" || !s.Root.Readonly {
		t.Errorf("root %+v, want /rootfs read-only", s.Root)
	}
	p := s.Process
	if !slices.Equal(p.Args, o.Args) || !slices.Equal(p.Env, o.Env) || p.Cwd != "/w" || p.User.Username != "1000:10" ||
		!p.Terminal || !p.NoNewPrivileges || s.Hostname != "h" {
		t.Errorf("process %+v, hostname %q: options not carried", p, s.Hostname)
	}
	if !slices.Equal(s.Linux.UIDMappings, subIDMap) || !slices.Equal(s.Linux.GIDMappings, singleMap) {
		t.Errorf("id maps %v %v, want the options'", s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
	n := len(s.Mounts)
	user := s.Mounts[n-3:]
	want := []specs.Mount{
		{Destination: "/dst", Type: "bind", Source: "/src", Options: []string{"rbind", "ro"}},
		{Destination: "/rw", Type: "bind", Source: "/rw", Options: []string{"rbind"}},
		{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "size=1m"}},
	}
	if !slices.EqualFunc(user, want, mountEqual) {
		t.Errorf("last mounts %+v, want the volumes then the tmpfs %+v", user, want)
	}
	if s.Mounts[0].Destination != "/proc" || s.Mounts[1].Destination != "/dev" {
		t.Errorf("mounts start %s, %s; want /proc, /dev", s.Mounts[0].Destination, s.Mounts[1].Destination)
	}
	if !slices.Equal(s.Linux.MaskedPaths, maskedPaths) || !slices.Equal(s.Linux.ReadonlyPaths, readonlyPaths) {
		t.Errorf("masked %q read-only %q, want the defaults", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
}

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name           string
		add, drop      []string
		has, lacks     []string
		wantErrContain string
	}{
		{name: "defaults", has: []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}, lacks: []string{"CAP_SYS_ADMIN", "CAP_NET_ADMIN"}},
		{name: "add", add: []string{"NET_ADMIN"}, has: []string{"CAP_NET_ADMIN", "CAP_CHOWN"}},
		{name: "drop", drop: []string{"CHOWN"}, has: []string{"CAP_KILL"}, lacks: []string{"CAP_CHOWN"}},
		{name: "drop ALL add one", add: []string{"KILL"}, drop: []string{"ALL"}, has: []string{"CAP_KILL"}, lacks: []string{"CAP_CHOWN"}},
		{name: "unknown", add: []string{"BOGUS"}, wantErrContain: `unknown capability "BOGUS"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, build := range builders() {
				s, err := build.fn(opts(func(o *Options) { o.CapAdd, o.CapDrop = tt.add, tt.drop }))
				if tt.wantErrContain != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErrContain) {
						t.Fatalf("%s: error %v, want %q", build.name, err, tt.wantErrContain)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				c := s.Process.Capabilities
				if !slices.Equal(c.Effective, c.Bounding) || !slices.Equal(c.Permitted, c.Bounding) {
					t.Errorf("%s: bounding %v, effective %v, permitted %v: want the same", build.name, c.Bounding, c.Effective, c.Permitted)
				}
				for _, name := range tt.has {
					if !slices.Contains(c.Bounding, name) {
						t.Errorf("%s: %v lacks %s", build.name, c.Bounding, name)
					}
				}
				for _, name := range tt.lacks {
					if slices.Contains(c.Bounding, name) {
						t.Errorf("%s: %v has %s", build.name, c.Bounding, name)
					}
				}
			}
		})
	}
}

func TestNoCommand(t *testing.T) {
	for _, build := range builders() {
		s, err := build.fn(opts(func(o *Options) { o.Args = nil }))
		if err == nil || err.Error() != "no command given" {
			t.Errorf("%s: %v, %v; want error %q", build.name, s, err, "no command given")
		}
	}
}

func TestSandbox(t *testing.T) {
	home := t.TempDir()
	for _, d := range []string{"project/out", ".ssh", "cache"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(home, "secret")
	if err := os.WriteFile(secret, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	project, out, ssh, cache := filepath.Join(home, "project"), filepath.Join(home, "project/out"),
		filepath.Join(home, ".ssh"), filepath.Join(home, "cache")
	missing := filepath.Join(home, "missing")

	s, err := Sandbox(opts(nil), project, []string{out}, []string{ssh}, []string{home, ssh, secret, cache, missing})
	if err != nil {
		t.Fatal(err)
	}
	if s.Root.Path != "/" || !s.Root.Readonly {
		t.Errorf("root %+v, want / read-only", s.Root)
	}
	if want := append(slices.Clone(maskedPaths), missing); !slices.Equal(s.Linux.MaskedPaths, want) {
		t.Errorf("masked paths %q, want the defaults and the missing hidden path %q", s.Linux.MaskedPaths, want)
	}
	if !slices.Equal(maskedPaths[len(maskedPaths)-1:], []string{"/sys/firmware"}) {
		t.Errorf("the default masked paths were changed: %q", maskedPaths)
	}
	_, statErr := os.Stat("/run/user")
	if got := len(mountAt(s, "/run/user")); got != map[bool]int{true: 1, false: 0}[statErr == nil] {
		t.Errorf("%d tmpfs on /run/user, want one exactly when the host has it (%v)", got, statErr)
	}
	tmp := mountAt(s, "/tmp")
	if len(tmp) != 1 || tmp[0].Type != "tmpfs" {
		t.Errorf("/tmp mounts %+v, want a private tmpfs", tmp)
	}

	// The host paths, parents first; at one path cwd, --ro, --rw, --hide.
	var got []string
	for _, m := range s.Mounts {
		if !strings.HasPrefix(m.Destination, home) {
			continue
		}
		got = append(got, strings.TrimPrefix(m.Destination, home)+" "+m.Type+" "+m.Source+" "+strings.Join(m.Options, ","))
	}
	want := []string{
		// Something is shown beneath the hidden home: it stays writable
		// for the mount points.
		" tmpfs tmpfs nosuid,nodev,noexec,mode=0555",
		"/project bind " + project + " rbind,ro",
		"/.ssh bind " + ssh + " rbind,ro",
		"/.ssh tmpfs tmpfs nosuid,nodev,noexec,mode=0555,ro",
		"/secret bind /dev/null rbind",
		"/cache tmpfs tmpfs nosuid,nodev,noexec,mode=0555,ro",
		"/project/out bind " + out + " rbind",
	}
	if !slices.Equal(got, want) {
		t.Errorf("host path mounts\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// The working directory "/" is not bound: a mount on the root would make
// the kernel treat the sandbox as a chroot.
func TestSandboxRootCwd(t *testing.T) {
	s, err := Sandbox(opts(nil), "/", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := mountAt(s, "/"); len(m) != 0 {
		t.Errorf("mounts on /: %+v", m)
	}
}

func TestEtcFiles(t *testing.T) {
	for _, tt := range []struct {
		network, resolv string
	}{
		{"none", "# nook: --network none has no DNS\n"},
		{"host", "nameserver 192.0.2.53\n"},
	} {
		t.Run(tt.network, func(t *testing.T) {
			files := EtcFiles("box", tt.network, []byte("nameserver 192.0.2.53\n"))
			got := map[string]string{}
			for _, f := range files {
				got[f.Path] = f.Data
			}
			if len(files) != 3 || got["/etc/hostname"] != "box\n" || got["/etc/resolv.conf"] != tt.resolv ||
				!strings.Contains(got["/etc/hosts"], "127.0.0.1\tlocalhost\n") || !strings.Contains(got["/etc/hosts"], "\tbox\n") {
				t.Errorf("files %q", got)
			}
		})
	}
}
