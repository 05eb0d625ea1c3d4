package safecopy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var (
	hostTree = []string{"f 0640 hello", "d/ 0750", "d/a 0644 A", "d/s/ 0755", "d/s/b 0600 B", "ln -> f", "ro/ 0555", "ro/in 0444 r"}
	ctrTree  = []string{"x/ 0755", "x/old 0644 old", "file 0644 was"}
	dCopied  = []string{"/ 0750", "/a 0644 A", "/s/ 0755", "/s/b 0600 B"}
)

// under names d's entries (dCopied) as they land at dir.
func under(dir string) []string {
	var out []string
	for _, e := range dCopied {
		out = append(out, dir+e)
	}
	return out
}

// docker cp's rules for files, directories, "/." and existing names,
// copying from the host into a container.
func TestCopyRules(t *testing.T) {
	for _, tc := range []struct {
		src, dst string
		follow   bool
		want     []string // added to (or replacing in) ctrTree
		err      string
	}{
		{src: "f", dst: "/x", want: []string{"x/f 0640 hello"}},
		{src: "f", dst: "x/", want: []string{"x/f 0640 hello"}},
		{src: "f", dst: "/new", want: []string{"new 0640 hello"}},
		{src: "f", dst: "/file", want: []string{"file 0640 hello"}},
		{src: "f", dst: "/nodir/", err: "destination /nodir: no such directory"},
		{src: "f", dst: "/file/", err: "find /file: not a directory"},
		{src: "f/", dst: "/x", err: "not a directory"},
		{src: "f", dst: "/no/such", err: "find the directory /no: no such file or directory"},
		{src: "d", dst: "/nd", want: under("nd")},
		{src: "d", dst: "/nd/", want: under("nd")},
		{src: "d", dst: "/x", want: under("x/d")},
		{src: "d/", dst: "/x", want: under("x/d")},
		{src: "d/.", dst: "/x", want: []string{"x/a 0644 A", "x/s/ 0755", "x/s/b 0600 B"}},
		{src: "d/.", dst: "/nd", want: under("nd")},
		{src: "d", dst: "/file", err: "it exists and is not a directory"},
		{src: "ln", dst: "/x", want: []string{"x/ln -> f"}},
		{src: "ln", dst: "/x", follow: true, want: []string{"x/ln 0640 hello"}},
		{src: "ro", dst: "/", want: []string{"ro/ 0555", "ro/in 0444 r"}},
		{src: "nothing", dst: "/x", err: "find "},
	} {
		t.Run(tc.src+" to "+tc.dst, func(t *testing.T) {
			host := hostDir(t, hostTree...)
			c := newFakeContainer(t)
			build(t, c.dir, ctrTree...)
			err := Copy(Host(), filepath.Join(host, tc.src)+trailing(tc.src), c.root, tc.dst, Options{FollowLink: tc.follow})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				wantTree(t, c.dir, ctrTree...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantTree(t, c.dir, merge(ctrTree, tc.want)...)
			c.untouched(t)
		})
	}
}

// trailing keeps the "/" or "/." that filepath.Join drops.
func trailing(p string) string {
	switch {
	case strings.HasSuffix(p, "/."):
		return "/."
	case strings.HasSuffix(p, "/"):
		return "/"
	}
	return ""
}

// merge is base with want's entries added, replacing those of the same name.
func merge(base, want []string) []string {
	name := func(l string) string {
		n, _, _ := strings.Cut(l, " ")
		return strings.TrimRight(n, "|")
	}
	out := append([]string(nil), want...)
	for _, b := range base {
		replaced := false
		for _, w := range want {
			replaced = replaced || name(w) == name(b)
		}
		if !replaced {
			out = append(out, b)
		}
	}
	return out
}

// Out of the container: modes, symlinks (kept as they are), FIFOs, hard
// links and modification times come across; the files are the caller's.
func TestCopyOutRoundTrip(t *testing.T) {
	c := newFakeContainer(t)
	build(t, c.dir, "app/ 0751", "app/bin 0755 #!", "app/conf 0600 secret", "app/etc -> /etc",
		"app/up -> ../../..", "app/fifo| 0640", "app/empty/ 0700", "app/suid 4755 s")
	if err := os.Link(filepath.Join(c.dir, "app/conf"), filepath.Join(c.dir, "app/conf2")); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	if err := os.Chtimes(filepath.Join(c.dir, "app/bin"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	host := tempDir(t)
	if err := Copy(c.root, "/app", Host(), host, Options{}); err != nil {
		t.Fatal(err)
	}
	wantTree(t, host, "app/ 0751", "app/bin 0755 #!", "app/conf 0600 secret", "app/conf2 0600 secret",
		"app/etc -> /etc", "app/up -> ../../..", "app/fifo| 0640", "app/empty/ 0700", "app/suid 4755 s")
	st, err := os.Stat(filepath.Join(host, "app/bin"))
	if err != nil || !st.ModTime().Equal(mtime) {
		t.Errorf("app/bin's time: %v %v, want %v", st.ModTime(), err, mtime)
	}
	a, _ := os.Stat(filepath.Join(host, "app/conf"))
	b, _ := os.Stat(filepath.Join(host, "app/conf2"))
	if !os.SameFile(a, b) {
		t.Error("the hard link came across as two files")
	}
	c.untouched(t)
}

// An existing file, symlink or FIFO at the name is replaced whole; an
// existing directory is merged into, keeping its own mode.
func TestCopyOverwrites(t *testing.T) {
	host := hostDir(t, "t/ 0700", "t/f 0644 new", "t/l -> new-target", "t/sub/ 0700", "t/sub/g 0600 g")
	c := newFakeContainer(t)
	build(t, c.dir, "t/ 0755", "t/f 0600 old", "t/l -> old-target", "t/sub/ 0750", "t/sub/keep 0644 k")
	if err := os.Symlink(c.sentinel, filepath.Join(c.dir, "t/sub/g")); err != nil {
		t.Fatal(err)
	}
	if err := Copy(Host(), filepath.Join(host, "t"), c.root, "/", Options{}); err != nil {
		t.Fatal(err)
	}
	wantTree(t, c.dir, "t/ 0755", "t/f 0644 new", "t/l -> new-target", "t/sub/ 0750", "t/sub/keep 0644 k", "t/sub/g 0600 g")
	c.untouched(t)
}

// A directory and a non-directory never replace each other (docker cp
// refuses both).
func TestCopyTypeClash(t *testing.T) {
	host := hostDir(t, "t/ 0755", "t/a/ 0755", "t/b 0644 b")
	c := newFakeContainer(t)
	build(t, c.dir, "t/ 0755", "t/a 0644 file", "u/ 0755", "u/t/ 0755", "u/t/b/ 0755")
	if err := Copy(Host(), filepath.Join(host, "t"), c.root, "/", Options{}); err == nil || !strings.Contains(err.Error(), "/t/a: it exists and is not a directory") {
		t.Errorf("directory onto a file: %v", err)
	}
	if err := Copy(Host(), filepath.Join(host, "t"), c.root, "/u", Options{}); err == nil || !strings.Contains(err.Error(), "/u/t/b: it is a directory") {
		t.Errorf("file onto a directory: %v", err)
	}
	c.untouched(t)
}

// Copying a directory into itself is refused rather than run forever.
func TestCopyIntoItself(t *testing.T) {
	c := newFakeContainer(t)
	build(t, c.dir, "d/ 0755", "d/sub/ 0755")
	err := Copy(c.root, "/d", c.root, "/d/sub", Options{})
	if err == nil || !strings.Contains(err.Error(), "into itself") {
		t.Errorf("copy /d into /d/sub: %v", err)
	}
}

// The caller's umask does not change the modes copied.
func TestCopyIgnoresUmask(t *testing.T) {
	host := hostDir(t, "f 0777 x", "p| 0666")
	defer unix.Umask(unix.Umask(0o077))
	c := newFakeContainer(t)
	for _, n := range []string{"f", "p"} {
		if err := Copy(Host(), filepath.Join(host, n), c.root, "/", Options{}); err != nil {
			t.Fatal(err)
		}
	}
	wantTree(t, c.dir, "f 0777 x", "p| 0666")
}

func TestCopyKeepOwners(t *testing.T) {
	host := hostDir(t, "f 0644 x", "l -> f", "d/ 0755")
	c := newFakeContainer(t)
	for _, n := range []string{"f", "l", "d"} {
		if err := Copy(Host(), filepath.Join(host, n), c.root, "/", Options{KeepOwners: true}); err != nil {
			t.Fatalf("copy %s with -a: %v", n, err)
		}
	}
	wantTree(t, c.dir, "f 0644 x", "l -> f", "d/ 0755")
}

// A file the caller may not read fails the copy with its name, leaving
// nothing half-written.
func TestCopyUnreadable(t *testing.T) {
	// Root reads every file: as root, the test runs again as the
	// unprivileged test user.
	if asTestUser(t, "TestCopyUnreadable") {
		return
	}
	c := newFakeContainer(t)
	build(t, c.dir, "d/ 0755", "d/a 0644 a", "d/secret 0000 s")
	host := tempDir(t)
	err := Copy(c.root, "/d", Host(), host, Options{})
	if err == nil || err.Error() != "read /d/secret: permission denied" {
		t.Fatalf("copy of an unreadable file: %v", err)
	}
	var pe *PathError
	if !errors.As(err, &pe) || pe.Root != c.root {
		t.Errorf("the error does not say it failed in the container: %#v", err)
	}
	wantTree(t, host, "d/ 0700", "d/a 0644 a")
}
