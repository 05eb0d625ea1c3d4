package hostinfo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeHost lays out /proc, /etc and /dev trees, with a cgroup2 "mount" inside
// the temporary directory so cgroups.Discover reads it there.
type fakeHost struct {
	proc, etc, dev, cgroup string
}

func newFakeHost(t *testing.T, v2 bool) fakeHost {
	t.Helper()
	root := t.TempDir()
	h := fakeHost{
		proc:   filepath.Join(root, "proc"),
		etc:    filepath.Join(root, "etc"),
		dev:    filepath.Join(root, "dev"),
		cgroup: filepath.Join(root, "sys", "fs", "cgroup"),
	}
	mountinfo := "1 0 0:1 / / rw - ext4 /dev/vda rw\n" +
		"2 1 0:2 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
	cgroup := "1:cpu:/\n"
	if v2 {
		mountinfo = "1 0 0:1 / / rw - ext4 /dev/vda rw\n" +
			"2 1 0:2 / " + h.cgroup + " rw - cgroup2 cgroup2 rw,nsdelegate\n"
		cgroup = "0::/\n"
	}
	write(t, filepath.Join(h.proc, "self", "mountinfo"), mountinfo)
	write(t, filepath.Join(h.proc, "self", "cgroup"), cgroup)
	write(t, filepath.Join(h.cgroup, "cgroup.controllers"), "cpuset cpu io memory pids\n")
	write(t, filepath.Join(h.cgroup, "cgroup.subtree_control"), "")
	write(t, filepath.Join(h.cgroup, "cgroup.procs"), "")
	write(t, filepath.Join(h.etc, "os-release"), "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n")
	write(t, filepath.Join(h.etc, "subuid"), "alice:100000:65536\nbob:165536:65536\n")
	write(t, filepath.Join(h.etc, "subgid"), "alice:100000:65536\n")
	return h
}

func write(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGather(t *testing.T) {
	errRefused := errors.New("clone: operation not permitted")
	tests := []struct {
		name  string
		v2    bool
		tun   bool
		setup func(e *Env, h fakeHost)
		want  map[string]Check // by name; a Fix of "*" means "any fix"
	}{
		{
			name: "everything in place",
			v2:   true,
			tun:  true,
			setup: func(e *Env, h fakeHost) {
				e.SubUIDs, e.SubGIDs = []string{"100000-165535"}, []string{"100000-165535"}
				e.Probes = Probes{UserNS: func() error { return nil }, OverlayInUserNS: func() error { return nil }}
			},
			want: map[string]Check{
				"distribution":      {OK: true, Value: "Debian GNU/Linux 12 (bookworm)"},
				"user namespaces":   {OK: true, Value: "ok"},
				"subordinate uids":  {OK: true, Value: "100000-165535"},
				"subordinate gids":  {OK: true, Value: "100000-165535"},
				"overlay in userns": {OK: true, Value: "ok"},
				"cgroups":           {OK: true, Value: "v2 at <cgroup>"},
				"own cgroup":        {OK: true, Value: "/"},
				"cgroup delegation": {OK: true, Value: "cpuset cpu io memory pids at <cgroup>"},
				"systemd user bus":  {OK: true, Value: "no"},
				"/dev/net/tun":      {OK: true, Value: "ok"},
				"newuidmap":         {Value: "not found", Fix: "sudo apt-get install uidmap"},
			},
		},
		{
			name: "user namespaces refused",
			v2:   true,
			tun:  true,
			setup: func(e *Env, h fakeHost) {
				e.Probes = Probes{UserNS: func() error { return errRefused },
					OverlayInUserNS: func() error { t.Error("overlay probed without user namespaces"); return nil }}
				e.ExplainUserNS = func(err error) string {
					if !errors.Is(err, errRefused) {
						t.Errorf("ExplainUserNS got %v", err)
					}
					return "sudo sysctl -w user.max_user_namespaces=28633"
				}
			},
			want: map[string]Check{
				"user namespaces":   {Value: "refused: clone: operation not permitted", Fix: "sudo sysctl -w user.max_user_namespaces=28633"},
				"overlay in userns": {Value: "not checked", Fix: "needs user namespaces: fix those first"},
			},
		},
		{
			name: "a bare runner",
			setup: func(e *Env, h fakeHost) {
				// An unlikely uid, so that /tmp/nook-UID does not exist yet.
				e.UID, e.User, e.XDGRuntimeDir, e.XDGDataHome, e.Home = 4242, "", "", "", ""
				e.Probes = Probes{UserNS: func() error { return nil },
					OverlayInUserNS: func() error { return errors.New("mount overlay: invalid argument") }}
			},
			want: map[string]Check{
				"user":              {OK: true, Value: "unknown (uid 4242), rootless"},
				"state dir":         {OK: true, Value: "*"},
				"user namespaces":   {OK: true, Value: "ok"},
				"subordinate uids":  {Value: "none", Fix: "sudo usermod --add-subuids 231072-296607 --add-subgids 231072-296607 $USER"},
				"subordinate gids":  {Value: "none", Fix: "*"},
				"overlay in userns": {Value: "refused: mount overlay: invalid argument", Fix: "*"},
				"cgroups":           {OK: true, Value: "v1"},
				"own cgroup":        {OK: true, Value: "none"},
				"cgroup delegation": {Value: "none", Fix: "*"},
				"/dev/net/tun":      {Value: "*", Fix: "sudo modprobe tun (in a container: run it with --device /dev/net/tun)"},
				"store dir":         {Value: "unknown: HOME is not set", Fix: "set HOME or XDG_DATA_HOME"},
			},
		},
		{
			name:  "probes not wired",
			setup: func(e *Env, h fakeHost) { e.Probes = Probes{} },
			want: map[string]Check{
				"user namespaces":   {OK: true, Value: "not checked"},
				"overlay in userns": {OK: true, Value: "not checked"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHost(t, tt.v2)
			if tt.tun {
				write(t, filepath.Join(h.dev, "net", "tun"), "")
			}
			home := t.TempDir()
			e := Env{ProcRoot: h.proc, EtcRoot: h.etc, DevRoot: h.dev, UID: os.Getuid(), User: "alice",
				XDGRuntimeDir: t.TempDir(), Home: home}
			tt.setup(&e, h)
			r := Gather(e)

			checkInvariants(t, r)
			got := make(map[string]Check)
			for _, c := range r.Checks {
				got[c.Name] = c
			}
			expand := strings.NewReplacer("<cgroup>", h.cgroup).Replace
			for name, w := range tt.want {
				c, found := got[name]
				if !found {
					t.Errorf("no check %q", name)
					continue
				}
				valueOK := w.Value == "*" || c.Value == expand(w.Value)
				fixOK := w.Fix == "*" && c.Fix != "" || w.Fix != "*" && c.Fix == w.Fix
				if c.OK != w.OK || !valueOK || !fixOK {
					t.Errorf("%s = %+v, want %+v", name, c, w)
				}
			}
			if r.UID != e.UID || r.User != e.User || r.Kernel == "" {
				t.Errorf("top-level fields: %+v", r)
			}
			if tt.v2 != (r.Cgroup != nil && r.Cgroup.Mount == h.cgroup) {
				t.Errorf("cgroup = %+v", r.Cgroup)
			}
		})
	}
}

// checkInvariants holds for every report: fixed order of unique names, and a
// fix exactly on the checks that failed.
func checkInvariants(t *testing.T, r Report) {
	t.Helper()
	want := []string{"kernel", "distribution", "user", "user namespaces", "subordinate uids", "subordinate gids",
		"newuidmap", "newgidmap", "overlay in userns", "cgroups", "own cgroup", "cgroup delegation",
		"systemd user bus", "/dev/net/tun", "state dir", "store dir", "rootfs driver"}
	var names []string
	for _, c := range r.Checks {
		names = append(names, c.Name)
		if c.OK != (c.Fix == "") {
			t.Errorf("%s: ok=%v but fix=%q", c.Name, c.OK, c.Fix)
		}
		if c.Value == "" {
			t.Errorf("%s: empty value", c.Name)
		}
		if strings.Contains(c.Fix, "\n") {
			t.Errorf("%s: fix is not one line: %q", c.Name, c.Fix)
		}
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("checks = %q\nwant     %q", names, want)
	}
}
