package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/caps"
	"nook/mounts"
	"nook/userns"
)

// Options is what `nook run` and `nook sandbox` have in common once the
// command line is parsed and checked.
type Options struct {
	Args            []string
	Env             []string
	Workdir         string
	User            string // as given to --user: NAME, UID, UID:GID, NAME:GROUP
	Hostname        string
	Volumes         []Volume
	Tmpfs           []Tmpfs
	ReadOnly        bool
	Terminal        bool
	CapAdd          []string
	CapDrop         []string
	Network         string // "none", "host" or "slirp"
	NoNewPrivileges bool
	// CgroupWritable mounts the container's cgroup read-write.
	CgroupWritable bool
	// Unmask lists masked or read-only paths to leave alone ("ALL": all).
	Unmask         []string
	UIDMap, GIDMap []specs.LinuxIDMapping
	// Rootless says a user namespace is created (false only for real root).
	Rootless bool
}

// Container is a container's spec: the root filesystem is rootfs.
func Container(rootfs string, o Options) (*specs.Spec, error) {
	s, err := base(o)
	if err != nil {
		return nil, err
	}
	s.Root = &specs.Root{Path: rootfs, Readonly: o.ReadOnly}
	s.Mounts = append(systemMounts(o), userMounts(o)...)
	return s, nil
}

// Sandbox is a one-off sandbox on the host's own root, read-only.
// Sessions of other programs (D-Bus, ssh-agent, systemd --user) listen in
// /run/user: a read-only bind does not stop connect(2) on a socket, so it is
// hidden unless asked for.
func Sandbox(o Options, cwd string, rw, ro, hide []string) (*specs.Spec, error) {
	s, err := base(o)
	if err != nil {
		return nil, err
	}
	s.Root = &specs.Root{Path: "/", Readonly: true}
	// With the host's network the host's /sys is already there, read-only;
	// otherwise a fresh one shows the sandbox's own network namespace.
	m := append(devMounts(o), cgroupMount(o))
	if o.Network != "host" {
		m = systemMounts(o)
	}
	m = append(m, tmpfs("/tmp", "nosuid", "nodev", "mode=1777"))
	if _, err := os.Stat("/run/user"); err == nil {
		m = append(m, tmpfs("/run/user", "nosuid", "nodev", "noexec", "mode=0755"))
	}
	var missing []string
	m = append(m, hostPaths(cwd, rw, ro, hide, &missing)...)
	s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, missing...)
	s.Mounts = append(m, userMounts(o)...)
	return s, nil
}

// hostPaths are the sandbox's binds and hidden paths, each path's after
// those of its parents, so that nothing covers a path asked for deeper down
// (--hide ~ --rw ~/project shows the project in an empty home). At one
// path the later wins: the working directory (read-only), --ro, --rw,
// --hide. The working directory is bound back in case a tmpfs or --hide
// covers it; "/" needs no such thing, and a mount stacked on the root makes
// the kernel treat the sandbox as a chroot, refusing nested user
// namespaces. A hidden path that does not resolve is left to masking,
// which skips what is not there; it is added to missing.
func hostPaths(cwd string, rw, ro, hide []string, missing *[]string) []specs.Mount {
	type entry struct {
		path  string
		mount specs.Mount
	}
	var es []entry
	var shown []string // paths a hidden directory may have beneath it
	if cwd != "/" {
		es = append(es, entry{cwd, bind(cwd, cwd, true)})
		shown = append(shown, cwd)
	}
	for _, p := range ro {
		es = append(es, entry{p, bind(p, p, true)})
	}
	for _, p := range rw {
		es = append(es, entry{p, bind(p, p, false)})
	}
	shown = append(append(shown, ro...), rw...)
	for _, p := range hide {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			*missing = append(*missing, p)
		case !fi.IsDir():
			es = append(es, entry{p, bind("/dev/null", p, false)})
		default:
			// Read-only unless mount points must be made in it.
			opts := []string{"nosuid", "nodev", "noexec", "mode=0555"}
			if !slices.ContainsFunc(shown, func(s string) bool { return strings.HasPrefix(s, strings.TrimSuffix(p, "/")+"/") }) {
				opts = append(opts, "ro")
			}
			es = append(es, entry{p, tmpfs(p, opts...)})
		}
	}
	depth := func(p string) int { return strings.Count(strings.TrimSuffix(filepath.Clean(p), "/"), "/") }
	sort.SliceStable(es, func(i, j int) bool { return depth(es[i].path) < depth(es[j].path) })
	m := make([]specs.Mount, 0, len(es))
	for _, e := range es {
		m = append(m, e.mount)
	}
	return m
}

func base(o Options) (*specs.Spec, error) {
	set, err := caps.Resolve(o.CapAdd, o.CapDrop)
	if err != nil {
		return nil, err
	}
	names := set.Names()
	s := &specs.Spec{
		Version:  specs.Version,
		Hostname: o.Hostname,
		Process: &specs.Process{
			Terminal: o.Terminal,
			Args:     o.Args,
			Env:      o.Env,
			Cwd:      o.Workdir,
			User:     specs.User{Username: o.User},
			Capabilities: &specs.LinuxCapabilities{
				Bounding: names, Effective: names, Permitted: names,
			},
			NoNewPrivileges: o.NoNewPrivileges,
		},
		Linux: &specs.Linux{
			UIDMappings:   o.UIDMap,
			GIDMappings:   o.GIDMap,
			Namespaces:    namespaces(o),
			MaskedPaths:   without(maskedPaths, o.Unmask),
			ReadonlyPaths: without(readonlyPaths, o.Unmask),
		},
	}
	if len(o.Args) == 0 {
		return nil, fmt.Errorf("no command given")
	}
	return s, nil
}

// without is a copy of paths less those in drop ("ALL" drops everything).
func without(paths, drop []string) []string {
	if slices.Contains(drop, "ALL") {
		return nil
	}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if !slices.Contains(drop, p) {
			out = append(out, p)
		}
	}
	return out
}

func namespaces(o Options) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.UTSNamespace},
		{Type: specs.IPCNamespace}, {Type: specs.CgroupNamespace},
	}
	if o.Network != "host" {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	if o.Rootless {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UserNamespace})
	}
	return ns
}

// systemMounts are the kernel filesystems every container gets.
func systemMounts(o Options) []specs.Mount {
	m := devMounts(o)
	if o.Network == "host" {
		// sysfs can only be mounted by the owner of the network namespace.
		m = append(m, bind("/sys", "/sys", true))
	} else {
		m = append(m, specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}})
	}
	return append(m, cgroupMount(o))
}

// cgroupMount is the container's own cgroup (the root of its cgroup
// namespace) as the whole of /sys/fs/cgroup, read-only unless asked.
func cgroupMount(o Options) specs.Mount {
	opts := []string{"nosuid", "noexec", "nodev", "ro"}
	if o.CgroupWritable {
		opts = opts[:3]
	}
	return specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: opts}
}

// devMounts are /proc and /dev with what lives in it, shared with the sandbox.
func devMounts(o Options) []specs.Mount {
	pts := []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}
	// gid=5 (tty) only exists in the container when it is mapped.
	if !o.Rootless || userns.Contains(o.GIDMap, 5) {
		pts = append(pts, "gid=5")
	}
	m := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		tmpfs("/dev", "nosuid", "strictatime", "mode=755", "size=65536k"),
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: pts},
		tmpfs("/dev/shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
	}
	for _, d := range devices {
		m = append(m, specs.Mount{Destination: d, Type: "bind", Source: d, Options: []string{"bind"}})
	}
	return m
}

func userMounts(o Options) []specs.Mount {
	var m []specs.Mount
	for _, v := range o.Volumes {
		m = append(m, bind(v.Source, v.Destination, v.ReadOnly))
	}
	for _, t := range o.Tmpfs {
		m = append(m, specs.Mount{Destination: t.Destination, Type: "tmpfs", Source: "tmpfs", Options: t.Options})
	}
	return m
}

func tmpfs(dst string, opts ...string) specs.Mount {
	return specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: opts}
}

func bind(src, dst string, ro bool) specs.Mount {
	opts := []string{"rbind"}
	if ro {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts}
}

// EtcFiles are the generated files bound over the rootfs's own, for
// --network none or host.
func EtcFiles(hostname, network string, hostResolv []byte) []mounts.File {
	return NetworkEtcFiles(hostname, EtcNetwork{Mode: network}, hostResolv)
}

// NetworkEtcFiles are the generated files for any network mode.
func NetworkEtcFiles(hostname string, n EtcNetwork, hostResolv []byte) []mounts.File {
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n"
	if n.HostGateway.IsValid() {
		hosts += HostGatewayEntry(n.HostGateway)
	}
	return []mounts.File{
		{Path: "/etc/hostname", Data: hostname + "\n"},
		{Path: "/etc/hosts", Data: hosts},
		{Path: "/etc/resolv.conf", Data: ResolvConf(n, hostResolv)},
	}
}
