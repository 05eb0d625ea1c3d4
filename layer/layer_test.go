package layer

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestUnpack(t *testing.T) {
	basic := []entry{
		dirE("etc/", 0o755),
		fileE("etc/hosts", "127.0.0.1 localhost\n", 0o644),
		fileE("bin/sh", "#!binary", 0o4755), // bin/ is not listed: made 0755
		symE("bin/ash", "sh"),
		symE("etc/mtab", "/proc/self/mounts"), // targets are kept as given
		hardE("bin/busybox", "bin/sh"),
		{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "run/initctl", Mode: 0o620, ModTime: testTime}},
		fileE("empty", "", 0o400),
		dirE("tmp/", 0o1777),
		dirE("srv/", 0o2750),
	}
	basicTree := map[string]string{
		"etc":         "dir 0755",
		"etc/hosts":   `file 0644 "127.0.0.1 localhost\n"`,
		"bin":         "dir 0755",
		"bin/sh":      `file 4755 "#!binary"`,
		"bin/ash":     "link -> sh",
		"etc/mtab":    "link -> /proc/self/mounts",
		"bin/busybox": `file 4755 "#!binary"`,
		"run":         "dir 0755",
		"run/initctl": "fifo 0620",
		"empty":       `file 0400 ""`,
		"tmp":         "dir 1777",
		"srv":         "dir 2750",
	}
	basicResult := Result{Files: 4, Dirs: 3, Links: 3, Bytes: int64(len("127.0.0.1 localhost\n#!binary"))}

	tests := []struct {
		name     string
		entries  []entry
		compress func(*testing.T, []byte) []byte
		want     map[string]string
		result   *Result
		notes    []string // substrings, one note each
	}{
		{name: "plain tar", entries: basic, want: basicTree, result: &basicResult},
		{name: "gzip", entries: basic, compress: gzipped, want: basicTree, result: &basicResult},
		{name: "zstd", entries: basic, compress: zstded, want: basicTree, result: &basicResult},
		{
			name: "later entries win",
			entries: []entry{
				fileE("a", "one", 0o644),
				fileE("a", "two", 0o600),
				dirE("d/", 0o755),
				fileE("d/x", "x", 0o644),
				fileE("d", "now a file", 0o644), // a directory replaced, with its contents
				fileE("e", "file first", 0o644),
				dirE("e/", 0o700),
				fileE("e/y", "y", 0o644),
				symE("s", "a"),
				fileE("s", "not a link", 0o644),
				fileE("h", "old", 0o644),
				hardE("h", "a"),
				dirE("m/", 0o700),
				fileE("m/keep", "kept", 0o644),
				dirE("m/", 0o750), // directories merge; the last mode wins
			},
			want: map[string]string{
				"a":      `file 0600 "two"`,
				"d":      `file 0644 "now a file"`,
				"e":      "dir 0700",
				"e/y":    `file 0644 "y"`,
				"s":      `file 0644 "not a link"`,
				"h":      `file 0600 "two"`,
				"m":      "dir 0750",
				"m/keep": `file 0644 "kept"`,
			},
		},
		{
			name: "symlinks pointing outside are replaced, not followed",
			entries: []entry{
				symE("evil", "../outside/f"),
				fileE("evil", "pwned", 0o644),
				symE("evildir", "../outside"),
				dirE("evildir/", 0o755),
				fileE("evildir/f", "pwned", 0o644),
				symE("evillink", "../outside/f"),
				fileE("target", "t", 0o644),
				hardE("evillink", "target"),
				symE("evilfifo", "../outside/f"),
				{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "evilfifo", Mode: 0o600}},
				symE("evilwh", "../outside/f"),
				fileE(".wh.evilwh", "", 0o644),
				symE("abs", "/nook-layer-test-x"),
				symE("abs", "/nook-layer-test-x"), // replaced by itself
				symE("out", "../outside/f"),
				hardE("samelink", "out"), // a hard link to the symlink itself
			},
			want: map[string]string{
				"evil":      `file 0644 "pwned"`,
				"evildir":   "dir 0755",
				"evildir/f": `file 0644 "pwned"`,
				"evillink":  `file 0644 "t"`,
				"target":    `file 0644 "t"`,
				"evilfifo":  "fifo 0600",
				"evilwh":    "char 0:0",
				"abs":       "link -> /nook-layer-test-x",
				"out":       "link -> ../outside/f",
				"samelink":  "link -> ../outside/f",
			},
		},
		{
			name: "read-only directories still take later entries",
			entries: []entry{
				dirE("ro/", 0o555),
				fileE("ro/f", "f", 0o444),
				dirE("ro/sub/", 0o500),
				fileE("ro/sub/g", "g", 0o644),
				dirE("ro/sub/deeper/", 0o555),
				fileE("ro/sub/deeper/h", "h", 0o644),
			},
			want: map[string]string{
				"ro":              "dir 0555",
				"ro/f":            `file 0444 "f"`,
				"ro/sub":          "dir 0500",
				"ro/sub/g":        `file 0644 "g"`,
				"ro/sub/deeper":   "dir 0555",
				"ro/sub/deeper/h": `file 0644 "h"`,
			},
		},
		{
			name: "names are cleaned",
			entries: []entry{
				dirE("./", 0o755),
				fileE("./a", "a", 0o644),
				fileE("b//c/./d", "d", 0o644),
				fileE("x/../y", "y", 0o644), // .. inside the layer is fine
				dirE("z", 0o711),            // a directory without its slash
				fileE(strings.Repeat("long/", 60)+"name", "pax path", 0o644),
				{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "git"}}},
			},
			want: func() map[string]string {
				m := map[string]string{
					"a":     `file 0644 "a"`,
					"b":     "dir 0755",
					"b/c":   "dir 0755",
					"b/c/d": `file 0644 "d"`,
					"y":     `file 0644 "y"`,
					"z":     "dir 0711",
				}
				p := ""
				for range 60 {
					p = filepath.Join(p, "long")
					m[p] = "dir 0755"
				}
				m[filepath.Join(p, "name")] = `file 0644 "pax path"`
				return m
			}(),
		},
		{
			name: "whiteouts",
			entries: []entry{
				dirE("etc/", 0o755),
				fileE("etc/.wh.passwd", "", 0o644),
				dirE("usr/", 0o755),
				fileE("usr/.wh..wh..opq", "", 0o644),
				fileE("usr/new", "new", 0o644),
				fileE("gone", "here first", 0o644),
				fileE(".wh.gone", "", 0o644), // the later entry wins here too
				fileE("var/lib/.wh.dpkg", "", 0o644),
				fileE(".wh..wh.plnk", "", 0o644),   // AUFS metadata: ignored
				fileE(".wh..wh.aufs/x", "", 0o644), // and what is below it
			},
			want: map[string]string{
				"etc":          "dir 0755",
				"etc/passwd":   "char 0:0",
				"usr":          "dir 0755",
				"usr/new":      `file 0644 "new"`,
				"gone":         "char 0:0",
				"var":          "dir 0755",
				"var/lib":      "dir 0755",
				"var/lib/dpkg": "char 0:0",
			},
			result: &Result{Files: 2, Dirs: 2, Whiteouts: 4, Bytes: int64(len("newhere first"))},
		},
		{
			name: "device nodes are skipped with a note",
			entries: []entry{
				{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3}},
				{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/sda", Mode: 0o660, Devmajor: 8}},
				fileE("ok", "", 0o644),
			},
			want:  map[string]string{"ok": `file 0644 ""`},
			notes: []string{`skipped character device "dev/null" (1:3)`, `skipped block device "dev/sda" (8:0)`},
		},
		{
			name: "xattrs nook does not apply are noted once per name",
			entries: []entry{
				withXattrs(fileE("a", "", 0o644), "trusted.x", "1", "security.selinux", "system_u:object_r:bin_t:s0"),
				withXattrs(fileE("b", "", 0o644), "security.selinux", "system_u:object_r:bin_t:s0", "user.overlay.redirect", "/etc"),
				withXattrs(symE("c", "a"), "user.x", "1"),
			},
			want: map[string]string{"a": `file 0644 ""`, "b": `file 0644 ""`, "c": "link -> a"},
			notes: []string{
				`skipped xattr security.selinux on 2 entries ("a", ...): only user.* and security.capability are applied`,
				`skipped xattr trusted.x on "a": trusted.* needs root outside any user namespace`,
				`skipped xattr user.overlay.redirect on "b": it is overlayfs's own metadata`,
				`skipped xattr user.x on "c": not applied to symlinks`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			plain := tarball(t, tt.entries...)
			b := plain
			if tt.compress != nil {
				b = tt.compress(t, b)
			}
			var notes []string
			res, err := Unpack(bytes.NewReader(b), f.dir, "sha256:test", Options{Notes: func(s string) { notes = append(notes, s) }})
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if d := diffTrees(tree(t, f.dir), tt.want); d != "" {
				t.Errorf("tree differs:%s", d)
			}
			if res.DiffID != digestOf(plain) {
				t.Errorf("DiffID = %s, want %s (the uncompressed tar)", res.DiffID, digestOf(plain))
			}
			res.DiffID = ""
			if tt.result != nil && res != *tt.result {
				t.Errorf("result = %+v, want %+v", res, *tt.result)
			}
			if len(notes) != len(tt.notes) {
				t.Errorf("notes = %q, want %d", notes, len(tt.notes))
			}
			for i, want := range tt.notes {
				if i < len(notes) && (!strings.Contains(notes[i], want) || !strings.HasPrefix(notes[i], "layer sha256:test: ")) {
					t.Errorf("note %d = %q, want it to contain %q", i, notes[i], want)
				}
			}
			f.checkOutside(t)
		})
	}
}

func TestUnpackHardLinkSharesTheInode(t *testing.T) {
	f := newFixture(t)
	b := tarball(t, fileE("a", "data", 0o644), hardE("dir/b", "a"), hardE("c", "./dir/../a"))
	if _, err := Unpack(bytes.NewReader(b), f.dir, "l", Options{}); err != nil {
		t.Fatal(err)
	}
	ino := inode(t, filepath.Join(f.dir, "a"))
	for _, p := range []string{"dir/b", "c"} {
		if got := inode(t, filepath.Join(f.dir, p)); got != ino {
			t.Errorf("%s is inode %d, want %d (a)", p, got, ino)
		}
	}
}

func TestUnpackTimes(t *testing.T) {
	f := newFixture(t)
	atime := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	file := fileE("d/f", "x", 0o644)
	file.hdr.AccessTime = atime
	file.hdr.ModTime = testTime.Add(123456789 * time.Nanosecond)
	file.hdr.Format = tar.FormatPAX // sub-second times and atime
	b := tarball(t, dirE("./", 0o755), dirE("d/", 0o755), file, symE("d/l", "f"), fileE("d/later", "", 0o644))
	if _, err := Unpack(bytes.NewReader(b), f.dir, "l", Options{}); err != nil {
		t.Fatal(err)
	}
	check := func(p string, wantM, wantA time.Time) {
		t.Helper()
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(f.dir, p), &st); err != nil {
			t.Fatal(err)
		}
		if m := time.Unix(st.Mtim.Unix()); !m.Equal(wantM) {
			t.Errorf("%s: mtime %v, want %v", p, m, wantM)
		}
		if !wantA.IsZero() {
			if a := time.Unix(st.Atim.Unix()); !a.Equal(wantA) {
				t.Errorf("%s: atime %v, want %v", p, a, wantA)
			}
		}
	}
	check(".", testTime, time.Time{})
	check("d", testTime, time.Time{}) // entries made after it do not count
	check("d/f", file.hdr.ModTime, atime)
	check("d/l", testTime, time.Time{})
}

func TestUnpackXattrs(t *testing.T) {
	f := newFixture(t)
	if !userXattrs(t, f.base) {
		t.Fatal("no user xattrs on the test filesystem: nook needs them for opaque directories (overlay userxattr)")
	}
	// A v2 file capability: cap_net_bind_service permitted and effective.
	capability := string([]byte{1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	b := tarball(t,
		withXattrs(dirE("d/", 0o755), "user.dir", "on a directory"),
		withXattrs(fileE("d/f", "x", 0o755), "user.mime_type", "text/plain", "security.capability", capability),
		fileE("d/.wh..wh..opq", "", 0),
		fileE(".wh..wh..opq", "", 0),
	)
	var notes []string
	if _, err := Unpack(bytes.NewReader(b), f.dir, "l", Options{Notes: func(s string) { notes = append(notes, s) }}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, name, want string }{
		{"d", "user.dir", "on a directory"},
		{"d/f", "user.mime_type", "text/plain"},
		{"d", "user.overlay.opaque", "y"},
		{".", "user.overlay.opaque", "y"},
	} {
		if got, err := getxattr(filepath.Join(f.dir, c.path), c.name); err != nil || got != c.want {
			t.Errorf("%s: %s = %q, %v; want %q", c.path, c.name, got, err, c.want)
		}
	}
	// security.capability needs CAP_SETFCAP: set, or said to be refused.
	if _, err := getxattr(filepath.Join(f.dir, "d/f"), "security.capability"); err != nil {
		if len(notes) != 1 || !strings.Contains(notes[0], "skipped xattr security.capability on \"d/f\": the kernel refused it") {
			t.Errorf("security.capability not set (%v) and notes = %q", err, notes)
		}
	} else if len(notes) != 0 {
		t.Errorf("notes = %q, want none", notes)
	}
}

func TestUnpackChownToCurrentIDs(t *testing.T) {
	f := newFixture(t)
	uid, gid := os.Getuid(), os.Getgid()
	own := func(e entry) entry { e.hdr.Uid, e.hdr.Gid = uid, gid; return e }
	fifo := entry{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "d/p", Mode: 0o600}}
	b := tarball(t, own(dirE("d/", 0o750)), own(fileE("d/f", "x", 0o2755)), own(symE("d/l", "f")), own(fifo))
	if _, err := Unpack(bytes.NewReader(b), f.dir, "l", Options{Chown: true}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"d", "d/f", "d/l", "d/p"} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(f.dir, p), &st); err != nil {
			t.Fatal(err)
		}
		if int(st.Uid) != uid || int(st.Gid) != gid {
			t.Errorf("%s owned by %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
		}
	}
	if got := describe(t, filepath.Join(f.dir, "d/f")); got != `file 2755 "x"` {
		t.Errorf("d/f: %s, want setgid kept after the chown", got)
	}
}

func TestUnpackRefusesANonEmptyDirectory(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(filepath.Join(f.dir, "old"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Unpack(bytes.NewReader(tarball(t, fileE("a", "", 0o644))), f.dir, "l", Options{})
	if err == nil || !strings.Contains(err.Error(), "directory is not empty") {
		t.Fatalf("err = %v, want directory is not empty", err)
	}
}

func TestUnmappedNamesTheID(t *testing.T) {
	dir := t.TempDir()
	uidMap, gidMap := filepath.Join(dir, "uid_map"), filepath.Join(dir, "gid_map")
	os.WriteFile(uidMap, []byte("         0       1000          1\n         1     100000      65536\n"), 0o644)
	os.WriteFile(gidMap, []byte("         0       1000          1\n"), 0o644)
	for _, c := range []struct {
		uid, gid int
		want     string
	}{
		{70000, 0, "uid 70000 is not mapped: the image needs more subordinate ids"},
		{1000, 5, "gid 5 is not mapped: the image needs more subordinate ids"},
		{1000, 0, "uid 1000 or gid 0 is not mapped: the image needs more subordinate ids"},
	} {
		if got := unmapped(c.uid, c.gid, uidMap, gidMap).Error(); got != c.want {
			t.Errorf("unmapped(%d, %d) = %q, want %q", c.uid, c.gid, got, c.want)
		}
	}
}
