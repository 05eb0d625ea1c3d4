package mounts

import (
	"errors"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Host sources are opened before the root tree is attached (attaching may
// cover their path), each once; a sandbox's "/" is attached over /tmp.
func TestApplyAttachesRoot(t *testing.T) {
	ops := []Op{
		{Kind: Bind, Src: "/src", Dst: "/data", Make: MakeLikeSrc},
		{Kind: Mask, Dst: "/proc/kcore"},
		{Kind: Bind, Src: "/src", Dst: "/again", Make: MakeLikeSrc},
	}
	host := map[string]string{"/src": "dir", "/dev/null": "file"}
	for _, tc := range []struct {
		name, dir string
		want      []string
	}{
		{"run", "/rootfs", []string{
			"open /src",
			"open /dev/null",
			"mount none on / (MS_REC|MS_PRIVATE)",
			"clone /rootfs",
			"attach tree:/rootfs on /rootfs",
			"open /rootfs as root",
		}},
		{"sandbox", "/", []string{
			"open /src",
			"open /dev/null",
			"mount none on / (MS_REC|MS_PRIVATE)",
			"clone /",
			"attach tree:/ on /tmp",
			"open /tmp as root",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, nil, host)
			root, err := Apply(f, tc.dir, nil, ops)
			if err != nil {
				t.Fatal(err)
			}
			if root != f.rootFD {
				t.Errorf("Apply returned descriptor %d, want the root's (%d)", root, f.rootFD)
			}
			if got := f.calls[:min(len(tc.want), len(f.calls))]; !slices.Equal(got, tc.want) {
				t.Errorf("calls start\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
			if open := f.openNames(); !slices.Equal(open, []string{"/"}) {
				t.Errorf("descriptors left open: %q, want only the root", open)
			}
		})
	}
}

func TestApplyMissingSource(t *testing.T) {
	f := newFake(t, nil, nil)
	_, err := Apply(f, "/rootfs", nil, []Op{{Kind: Bind, Src: "/src", Dst: "/data", Make: MakeLikeSrc}})
	if want := "open bind source /src: no such file or directory"; err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	if want := []string{"open /src"}; !slices.Equal(f.calls, want) {
		t.Errorf("calls %q, want %q: nothing is attached once a source is missing", f.calls, want)
	}
	if open := f.openNames(); len(open) != 0 {
		t.Errorf("descriptors left open: %q", open)
	}
}

func TestApplyOps(t *testing.T) {
	tmpfsAB := Op{Kind: MountFS, Src: "tmpfs", FSType: "tmpfs", Dst: "/a/b", Flags: unix.MS_NOSUID, Data: "mode=755", Make: MakeDir}
	tmpfsData := tmpfsAB
	tmpfsData.Dst = "/data"
	proc := Op{Kind: MountFS, Src: "proc", FSType: "proc", Dst: "/proc", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, Make: MakeDir}
	const mountProc = "mount proc on /proc (proc, MS_NOSUID|MS_NODEV|MS_NOEXEC)"
	roBind := Op{Kind: Bind, Src: "/src", Dst: "/data", Make: MakeLikeSrc, Recursive: true, ReadOnly: true}
	hosts := File{Path: "/etc/hosts", Data: "127.0.0.1\tlocalhost\n"}
	hostname := File{Path: "/etc/hostname", Data: "h\n"}

	tests := []struct {
		name    string
		tree    map[string]string // in the root, besides "/"
		ops     []Op
		fail    map[string]error
		want    []string // calls after the root is opened
		wantErr string
	}{
		{
			name: "missing mount point is made, parents first",
			ops:  []Op{tmpfsAB},
			want: []string{"mkdir /a", "mkdir /a/b", "mount tmpfs on /a/b (tmpfs, MS_NOSUID, mode=755)"},
		},
		{
			name: "existing mount point",
			tree: map[string]string{"/proc": "dir"},
			ops:  []Op{proc},
			want: []string{mountProc},
		},
		{
			name: "bind of a file makes a file",
			ops:  []Op{{Kind: Bind, Src: "/src/hosts", Dst: "/etc/hosts", Make: MakeLikeSrc}},
			want: []string{"mkdir /etc", "create /etc/hosts (0 bytes)", "mount host:/src/hosts on /etc/hosts (MS_BIND)"},
		},
		{
			name: "bind of a directory makes a directory",
			ops:  []Op{{Kind: Bind, Src: "/src", Dst: "/data", Make: MakeLikeSrc}},
			want: []string{"mkdir /data", "mount host:/src on /data (MS_BIND)"},
		},
		{
			// @under would mean the attribute went to what the bind covers.
			name: "read-only bind is set read-only on the destination resolved again",
			tree: map[string]string{"/data": "dir"},
			ops:  []Op{roBind},
			want: []string{"mount host:/src on /data (MS_BIND|MS_REC)", "read-only /data (recursive)"},
		},
		{
			name: "masked file gets /dev/null",
			tree: map[string]string{"/proc/kcore": "file"},
			ops:  []Op{{Kind: Mask, Dst: "/proc/kcore"}},
			want: []string{"mount host:/dev/null on /proc/kcore (MS_BIND)"},
		},
		{
			name: "masked directory gets an empty read-only tmpfs",
			tree: map[string]string{"/proc/acpi": "dir"},
			ops:  []Op{{Kind: Mask, Dst: "/proc/acpi"}},
			want: []string{"mount tmpfs on /proc/acpi (tmpfs, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, mode=0555)"},
		},
		{
			name: "missing masked path: nothing",
			ops:  []Op{{Kind: Mask, Dst: "/proc/acpi"}},
		},
		{
			name: "read-only path is bound over itself and set read-only",
			tree: map[string]string{"/proc/sys": "dir"},
			ops:  []Op{{Kind: ReadOnly, Dst: "/proc/sys"}},
			want: []string{"mount /proc/sys on /proc/sys (MS_BIND|MS_REC)", "read-only /proc/sys (recursive)"},
		},
		{
			name: "missing read-only path: nothing",
			ops:  []Op{{Kind: ReadOnly, Dst: "/proc/sys"}},
		},
		{
			name: "staged file is written, bound and removed",
			tree: map[string]string{"/dev": "dir", "/etc/hosts": "file"},
			ops:  fileOps(hosts),
			want: []string{
				"create /dev/.nook-hosts (20 bytes)",
				"mount /dev/.nook-hosts on /etc/hosts (MS_BIND)",
				"unlink /dev/.nook-hosts",
			},
		},
		{
			name: "staged file over a missing file makes it",
			tree: map[string]string{"/dev": "dir"},
			ops:  fileOps(hostname),
			want: []string{
				"create /dev/.nook-hostname (2 bytes)",
				"mkdir /etc",
				"create /etc/hostname (0 bytes)",
				"mount /dev/.nook-hostname on /etc/hostname (MS_BIND)",
				"unlink /dev/.nook-hostname",
			},
		},
		{
			name: "symlink in a missing directory",
			ops:  []Op{{Kind: Symlink, Src: "/proc/self/fd", Dst: "/dev/fd"}},
			want: []string{"mkdir /dev", "symlink /dev/fd -> /proc/self/fd"},
		},
		{
			name: "root read-only",
			ops:  []Op{{Kind: RootReadOnly, Dst: "/"}},
			want: []string{"read-only /"},
		},
		{
			name: "root read-only, recursive",
			ops:  []Op{{Kind: RootReadOnly, Dst: "/", Recursive: true}},
			want: []string{"read-only / (recursive)"},
		},
		{
			name: "dangling symlink: the mount point is made where it leads",
			tree: map[string]string{"/data": "link:/srv/data"},
			ops:  []Op{tmpfsData},
			want: []string{"mkdir /data", "mkdir /srv", "mkdir /srv/data", "mount tmpfs on /srv/data (tmpfs, MS_NOSUID, mode=755)"},
		},
		{
			name: "dangling symlink out of the root: followed inside it",
			tree: map[string]string{"/data": "link:../../../host/data"},
			ops:  []Op{tmpfsData},
			want: []string{"mkdir /data", "mkdir /host", "mkdir /host/data", "mount tmpfs on /host/data (tmpfs, MS_NOSUID, mode=755)"},
		},
		{
			name:    "refused /proc says why",
			tree:    map[string]string{"/proc": "dir"},
			ops:     []Op{proc},
			fail:    map[string]error{mountProc: unix.EPERM},
			want:    []string{mountProc},
			wantErr: "mount proc on /proc (nodev,noexec,nosuid): operation not permitted: the kernel allows a new /proc only where",
		},
		{
			name:    "mount point that cannot be made",
			ops:     []Op{tmpfsAB},
			fail:    map[string]error{"mkdir /a": unix.EACCES},
			want:    []string{"mkdir /a"},
			wantErr: "mount tmpfs on /a/b (nosuid,mode=755): create mount point /a: permission denied",
		},
		{
			name:    "read-only attribute refused",
			tree:    map[string]string{"/data": "dir"},
			ops:     []Op{roBind, proc},
			fail:    map[string]error{"read-only /data (recursive)": unix.EPERM},
			want:    []string{"mount host:/src on /data (MS_BIND|MS_REC)", "read-only /data (recursive)"},
			wantErr: "bind /src on /data (ro,rbind): make read-only: operation not permitted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.tree, map[string]string{"/src": "dir", "/src/hosts": "file", "/dev/null": "file"})
			for call, err := range tt.fail {
				f.fail[call] = err
			}
			_, err := Apply(f, "/rootfs", nil, tt.ops)
			got := afterRoot(t, f.calls)
			if !slices.Equal(got, tt.want) {
				t.Errorf("calls\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			open := f.openNames()
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want it to start %q", err, tt.wantErr)
				}
				if len(open) != 0 {
					t.Errorf("descriptors left open after a failure: %q", open)
				}
			case err != nil:
				t.Errorf("error: %v", err)
			case !slices.Equal(open, []string{"/"}):
				t.Errorf("descriptors left open: %q, want only the root", open)
			}
		})
	}
}

func TestApplyErrorIsTheErrno(t *testing.T) {
	f := newFake(t, nil, nil)
	f.fail["mkdir /a"] = unix.EROFS
	_, err := Apply(f, "/rootfs", nil, []Op{{Kind: MountFS, FSType: "tmpfs", Dst: "/a", Make: MakeDir}})
	if !errors.Is(err, unix.EROFS) {
		t.Errorf("error %v does not wrap EROFS", err)
	}
}

// afterRoot drops the set-up calls TestApplyAttachesRoot checks.
func afterRoot(t *testing.T, calls []string) []string {
	t.Helper()
	for i, c := range calls {
		if strings.HasSuffix(c, " as root") {
			return calls[i+1:]
		}
	}
	t.Fatalf("the root was never opened: %q", calls)
	return nil
}

// A small plan end to end: what the kernel is asked, in order.
func TestApplyPlan(t *testing.T) {
	s := &specs.Spec{
		Root: &specs.Root{Path: "/rootfs", Readonly: true},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "mode=755"}},
			{Destination: "/dev/null", Type: "bind", Source: "/dev/null", Options: []string{"bind"}},
			{Destination: "/data", Type: "bind", Source: "/src", Options: []string{"rbind", "ro"}},
		},
		Linux: &specs.Linux{MaskedPaths: []string{"/etc/shadow", "/sys/firmware"}, ReadonlyPaths: []string{"/sys"}},
	}
	ops, err := Plan(Input{Spec: s, Files: []File{{Path: "/etc/hostname", Data: "h\n"}}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t, map[string]string{"/dev": "dir", "/dev/old": "file", "/etc/hostname": "file", "/etc/shadow": "file", "/sys": "dir"},
		map[string]string{"/dev/null": "file", "/src": "dir"})
	if _, err := Apply(f, "/rootfs", nil, ops); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"open /dev/null", // the device's bind source
		"open /src",
		"open /dev/null", // for masking
		"mount none on / (MS_REC|MS_PRIVATE)",
		"clone /rootfs",
		"attach tree:/rootfs on /rootfs",
		"open /rootfs as root",
		"mkdir /proc",
		"mount proc on /proc (proc, MS_NOSUID|MS_NODEV|MS_NOEXEC)",
		"mount tmpfs on /dev (tmpfs, MS_NOSUID, mode=755)",
		"symlink /dev/fd -> /proc/self/fd",
		"symlink /dev/stdin -> /proc/self/fd/0",
		"symlink /dev/stdout -> /proc/self/fd/1",
		"symlink /dev/stderr -> /proc/self/fd/2",
		"symlink /dev/core -> /proc/kcore",
		"symlink /dev/ptmx -> pts/ptmx",
		"create /dev/null (0 bytes)", // the tmpfs hides the rootfs's /dev/old and all
		"mount host:/dev/null on /dev/null (MS_BIND)",
		"mkdir /data",
		"mount host:/src on /data (MS_BIND|MS_REC)",
		"read-only /data (recursive)",
		"create /dev/.nook-hostname (2 bytes)",
		"mount /dev/.nook-hostname on /etc/hostname (MS_BIND)",
		"unlink /dev/.nook-hostname",
		"mount host:/dev/null on /etc/shadow (MS_BIND)",
		"mount /sys on /sys (MS_BIND|MS_REC)",
		"read-only /sys (recursive)",
		"read-only /",
	}
	if !slices.Equal(f.calls, want) {
		t.Errorf("calls\n\t%s\nwant\n\t%s", strings.Join(f.calls, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// A generated file's mount point that a read-only root cannot take is
// skipped; a user's bind in the same place is an error.
func TestApplyIfPossible(t *testing.T) {
	tree := map[string]string{"/etc": "dir", "/dev": "dir", "/dev/.nook-hosts": "file"}
	for _, tc := range []struct {
		ifPossible bool
		wantErr    bool
	}{{true, false}, {false, true}} {
		f := newFake(t, tree, nil)
		f.fail["create /etc/hosts (0 bytes)"] = unix.EROFS
		op := Op{Kind: Bind, Src: "/dev/.nook-hosts", SrcInRoot: true, Dst: "/etc/hosts", Make: MakeFile, IfPossible: tc.ifPossible}
		_, err := Apply(f, "/rootfs", nil, []Op{op})
		if (err != nil) != tc.wantErr {
			t.Errorf("IfPossible=%v: err = %v", tc.ifPossible, err)
		}
	}
}
