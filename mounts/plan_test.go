package mounts_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/mounts"
	"nook/spec"
	"nook/userns"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the plans")

// options is a run with most flags given.
func options() spec.Options {
	subids := []userns.Range{{Start: 100000, Count: 65536}}
	return spec.Options{
		Args: []string{"sh", "-c", "echo hi"}, Env: []string{"A=1"}, Workdir: "/w", User: "1000:10",
		Hostname: "h", Volumes: []spec.Volume{{Source: "/src", Destination: "/dst", ReadOnly: true}, {Source: "/cache", Destination: "/var/cache"}},
		Tmpfs:    []spec.Tmpfs{{Destination: "/t", Options: []string{"nosuid", "nodev", "size=1m", "noexec", "mode=1777"}}},
		ReadOnly: true, Terminal: true, CapAdd: []string{"NET_ADMIN"}, NoNewPrivileges: true, Rootless: true,
		UIDMap: userns.PlanIDMap(1000, subids, 65536), GIDMap: userns.PlanIDMap(1000, subids, 65536),
	}
}

// planInputs are the plans the golden files hold.
func planInputs(t *testing.T) map[string]mounts.Input {
	t.Helper()
	run, err := spec.Container("/rootfs", options())
	if err != nil {
		t.Fatal(err)
	}
	o := options()
	o.Network, o.ReadOnly, o.Volumes, o.Tmpfs = "host", false, nil, nil
	o.UIDMap = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	o.GIDMap = o.UIDMap
	hostNet, err := spec.Container("/rootfs", o)
	if err != nil {
		t.Fatal(err)
	}
	sandbox, err := spec.Sandbox(options(), "/home/u/project", []string{"/home/u/project/out"}, []string{"/home/u/.config"},
		[]string{"/nonexistent/nook-hidden"})
	if err != nil {
		t.Fatal(err)
	}
	// The sandbox hides /run/user only where the host has it.
	sandbox.Mounts = slices.DeleteFunc(sandbox.Mounts, func(m specs.Mount) bool { return m.Destination == "/run/user" })
	return map[string]mounts.Input{
		"container": {Spec: run, Files: spec.EtcFiles("h", "none", nil)},
		"container-host-network": {Spec: hostNet,
			Files: spec.EtcFiles("h", "host", []byte("nameserver 192.0.2.53\n"))},
		"sandbox": {Spec: sandbox, HostRoot: true},
	}
}

func render(ops []mounts.Op) string {
	var b strings.Builder
	for _, op := range ops {
		b.WriteString(op.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestPlanGolden(t *testing.T) {
	for name, in := range planInputs(t) {
		t.Run(name, func(t *testing.T) {
			ops, err := mounts.Plan(in)
			if err != nil {
				t.Fatal(err)
			}
			got := render(ops)
			file := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test ./mounts -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("plan differs from %s (go test ./mounts -update rewrites it):\n%s", file, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "(same lines, in another order)"
	}
	return b.String()
}

// The ordering constraints the golden files only show.
func TestPlanOrder(t *testing.T) {
	for name, in := range planInputs(t) {
		t.Run(name, func(t *testing.T) {
			ops, err := mounts.Plan(in)
			if err != nil {
				t.Fatal(err)
			}
			at := func(pred func(mounts.Op) bool) []int {
				var is []int
				for i, op := range ops {
					if pred(op) {
						is = append(is, i)
					}
				}
				return is
			}
			rootRO := at(func(op mounts.Op) bool { return op.Kind == mounts.RootReadOnly })
			switch {
			case in.HostRoot:
				// Before anything is mounted on the host's root, or the
				// recursive read-only would cover those mounts too.
				if !slices.Equal(rootRO, []int{0}) || !ops[0].Recursive {
					t.Errorf("the host root's read-only ops are at %v (%v), want one recursive first", rootRO, ops[0])
				}
			case in.Spec.Root.Readonly:
				if last := len(ops) - 1; !slices.Equal(rootRO, []int{last}) || ops[last].Recursive {
					t.Errorf("--read-only's root ops are at %v of %d, want one, not recursive, last", rootRO, len(ops))
				}
			default:
				if len(rootRO) != 0 {
					t.Errorf("root made read-only at %v without --read-only", rootRO)
				}
			}

			dev := at(func(op mounts.Op) bool { return op.Kind == mounts.MountFS && op.Dst == "/dev" })
			if len(dev) != 1 || ops[dev[0]].FSType != "tmpfs" {
				t.Fatalf("want one tmpfs on /dev, got ops %v", dev)
			}
			inDev := at(func(op mounts.Op) bool { return strings.HasPrefix(op.Dst, "/dev/") })
			if len(inDev) == 0 || inDev[0] < dev[0] {
				t.Errorf("ops in /dev at %v, want all after its tmpfs at %d", inDev, dev[0])
			}
			for _, kind := range []mounts.Kind{mounts.Symlink, mounts.WriteFile} {
				for _, i := range at(func(op mounts.Op) bool { return op.Kind == kind }) {
					if i < dev[0] || !strings.HasPrefix(ops[i].Dst, "/dev/") {
						t.Errorf("%v at %d, want it in /dev after its tmpfs at %d", ops[i], i, dev[0])
					}
				}
			}

			for _, f := range in.Files {
				write := at(func(op mounts.Op) bool { return op.Kind == mounts.WriteFile && op.Data == f.Data })
				if len(write) != 1 {
					t.Errorf("%s is written %d times", f.Path, len(write))
					continue
				}
				staged := ops[write[0]].Dst
				bind := at(func(op mounts.Op) bool {
					return op.Kind == mounts.Bind && op.SrcInRoot && op.Src == staged && op.Dst == f.Path && !op.ReadOnly
				})
				remove := at(func(op mounts.Op) bool { return op.Kind == mounts.Remove && op.Dst == staged })
				if len(bind) != 1 || len(remove) != 1 || !(write[0] < bind[0] && bind[0] < remove[0]) {
					t.Errorf("%s: staged %s written at %v, bound at %v, removed at %v: want once each, in that order",
						f.Path, staged, write, bind, remove)
				}
			}

			mountsAt := at(func(op mounts.Op) bool { return op.Kind == mounts.MountFS || op.Kind == mounts.Bind })
			hiding := at(func(op mounts.Op) bool { return op.Kind == mounts.Mask || op.Kind == mounts.ReadOnly })
			if len(hiding) == 0 || hiding[0] < mountsAt[len(mountsAt)-1] {
				t.Errorf("masked and read-only paths at %v, want all after the last mount (%d): a later mount would uncover them",
					hiding, mountsAt[len(mountsAt)-1])
			}
			for _, p := range in.Spec.Linux.MaskedPaths {
				if len(at(func(op mounts.Op) bool { return op.Kind == mounts.Mask && op.Dst == p })) != 1 {
					t.Errorf("masked path %s: want one mask op", p)
				}
			}
			for _, p := range in.Spec.Linux.ReadonlyPaths {
				if len(at(func(op mounts.Op) bool { return op.Kind == mounts.ReadOnly && op.Dst == p })) != 1 {
					t.Errorf("read-only path %s: want one read-only op", p)
				}
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	root := &specs.Root{Path: "/rootfs"}
	devTmpfs := specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"}
	tests := []struct {
		name string
		in   mounts.Input
		want string
	}{
		{
			name: "relative destination",
			in: mounts.Input{Spec: &specs.Spec{Root: root, Mounts: []specs.Mount{
				devTmpfs, {Destination: "data", Type: "bind", Source: "/src", Options: []string{"rbind"}},
			}}},
			want: "mount data: destination must be an absolute path",
		},
		{
			name: "unknown option",
			in: mounts.Input{Spec: &specs.Spec{Root: root, Mounts: []specs.Mount{
				{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "bogus"}},
			}}},
			want: `mount /t: unknown mount option "bogus"`,
		},
		{
			name: "no root",
			in:   mounts.Input{Spec: &specs.Spec{}},
			want: "spec has no root",
		},
		{
			name: "files without a /dev tmpfs",
			in:   mounts.Input{Spec: &specs.Spec{Root: root}, Files: []mounts.File{{Path: "/etc/hosts", Data: "x"}}},
			want: "generated files need a tmpfs on /dev to stage them",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := mounts.Plan(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Plan = %v, %v; want error %q", ops, err, tt.want)
			}
		})
	}
}
