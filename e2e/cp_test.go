package e2e

// nook cp: both directions, tar streams, mounts inside the container, and
// symlinks planted in the container that must never lead to the host.

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// inCtr runs a shell script in the container as its root and returns its
// output.
func inCtr(t *testing.T, ctr, script string) string {
	t.Helper()
	r := nook(t, "exec", ctr, "sh", "-c", script)
	wantCode(t, r, 0)
	return r.Stdout
}

// wantFile checks a host file's content, mode and owner (the test user).
func wantFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != content {
		t.Errorf("%s holds %q, want %q", path, got, content)
	}
	if st.Mode() != mode {
		t.Errorf("%s: mode %v, want %v", path, st.Mode(), mode)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != env.uid {
		t.Errorf("%s: owner %d, want the caller %d", path, uid, env.uid)
	}
}

// hostFiles makes a directory of the test user's holding the files.
func hostFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := userTempDir(t)
	for name, content := range files {
		p := filepath.Join(dir, name)
		mkUserDir(t, filepath.Dir(p))
		writeUserFile(t, p, content)
	}
	return dir
}

// wantCpFailure checks that nook cp args failed with one line naming want.
func wantCpFailure(t *testing.T, r result, want string) {
	t.Helper()
	msg := strings.TrimSpace(r.Stderr)
	if r.Code != 1 || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("want exit 1 and one line with %q, got %v", want, r)
	}
}

// A file and a directory out of the container and into it: contents,
// modes, symlinks, owners (the caller's outside, the container root's
// inside), overwriting, and a directory's "/." contents.
func TestCpBothWays(t *testing.T) {
	detached(t, "--name", "cp-both", "--rootfs", newRootfs(t), "--", "sleep", "1000")
	inCtr(t, "cp-both", "mkdir -p /d/sub && echo x > /d/f && chmod 640 /d/f && ln -s f /d/l && echo y > /d/sub/g && chmod 750 /d")

	out := userTempDir(t)
	wantCode(t, nook(t, "cp", "cp-both:/d/f", out), 0)
	wantFile(t, filepath.Join(out, "f"), "x\n", 0o640)
	wantCode(t, nook(t, "cp", "cp-both:/d", filepath.Join(out, "copy")), 0)
	if st, err := os.Stat(filepath.Join(out, "copy")); err != nil || st.Mode() != os.ModeDir|0o750 {
		t.Errorf("copy of /d: %v %v", st.Mode(), err)
	}
	if l, err := os.Readlink(filepath.Join(out, "copy/l")); err != nil || l != "f" {
		t.Errorf("copy of /d/l: %q %v, want the symlink f", l, err)
	}
	wantFile(t, filepath.Join(out, "copy/sub/g"), "y\n", 0o644)

	src := hostFiles(t, map[string]string{"h": "#!/bin/sh\necho hi\n", "tree/a": "A\n", "tree/b/c": "C\n"})
	if err := os.Chmod(filepath.Join(src, "h"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantCode(t, nook(t, "cp", filepath.Join(src, "h"), "cp-both:/d/"), 0)
	if got := inCtr(t, "cp-both", "stat -c '%a %u:%g' /d/h && /d/h"); got != "755 0:0\nhi\n" {
		t.Errorf("/d/h in the container: %q", got)
	}
	wantCode(t, nook(t, "cp", filepath.Join(src, "tree"), "cp-both:/d"), 0)
	if got := inCtr(t, "cp-both", "cat /d/tree/a /d/tree/b/c"); got != "A\nC\n" {
		t.Errorf("/d/tree in the container: %q", got)
	}
	wantCode(t, nook(t, "cp", filepath.Join(src, "h"), "cp-both:/d/f"), 0)
	if got := inCtr(t, "cp-both", "cat /d/f; ls -a /d | grep -c nook-cp || true"); got != "#!/bin/sh\necho hi\n0\n" {
		t.Errorf("/d/f overwritten: %q", got)
	}
	wantCode(t, nook(t, "cp", filepath.Join(src, "tree")+"/.", "cp-both:/d/sub"), 0)
	if got := inCtr(t, "cp-both", "ls /d/sub"); got != "a\nb\ng\n" {
		t.Errorf("tree/. into /d/sub: %q", got)
	}
}

// "-" is a tar stream: out of the container with its own ids, into a
// directory of the container as the container's root.
func TestCpTar(t *testing.T) {
	detached(t, "--name", "cp-tar", "--rootfs", newRootfs(t), "--", "sleep", "1000")
	inCtr(t, "cp-tar", "mkdir /d && echo x > /d/f && ln -s /etc /d/etc")
	r := nook(t, "cp", "cp-tar:/d", "-")
	wantCode(t, r, 0)
	var got []string
	tr := tar.NewReader(strings.NewReader(r.Stdout))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		got = append(got, fmt.Sprintf("%s %d:%d %s%s", h.Name, h.Uid, h.Gid, h.Linkname, body))
	}
	if want := "d/ 0:0 |d/etc 0:0 /etc|d/f 0:0 x\n"; strings.Join(got, "|") != want {
		t.Errorf("tar of /d: %q, want %q", strings.Join(got, "|"), want)
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{{Name: "t/", Typeflag: tar.TypeDir, Mode: 0o755}, {Name: "t/g", Mode: 0o600, Size: 2, Uid: 1000}} {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write([]byte("z\n")); err != nil || tw.Close() != nil {
		t.Fatal(err)
	}
	cmd := nookCmd(t, "cp", "-", "cp-tar:/tmp")
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	wantCode(t, run(t, cmd), 0)
	if got := inCtr(t, "cp-tar", "cat /tmp/t/g; stat -c '%a %u' /tmp/t/g"); got != "z\n600 0\n" {
		t.Errorf("/tmp/t/g from the stream: %q", got)
	}
	cmd = nookCmd(t, "cp", "-", "cp-tar:/d/f")
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	wantCpFailure(t, run(t, cmd), "not a directory")
	// -a keeps owners, of which the caller can give the container root's
	// alone from outside.
	cmd = nookCmd(t, "cp", "-a", "-", "cp-tar:/d")
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	wantCpFailure(t, run(t, cmd), "write /d/t/g: keep the owner 1000:0 (")
	cmd = nookCmd(t, "cp", "-a", "cp-tar:/d/f", "-")
	out := run(t, cmd)
	wantCode(t, out, 0)
	cmd = nookCmd(t, "cp", "-a", "-", "cp-tar:/tmp")
	cmd.Stdin = strings.NewReader(out.Stdout)
	wantCode(t, run(t, cmd), 0)
	if got := inCtr(t, "cp-tar", "stat -c '%u:%g' /tmp/f"); got != "0:0\n" {
		t.Errorf("-a of the container root's file: %q", got)
	}
}

// homeSentinel is a directory in the test user's home with one file in
// it; check fails the test if anything in it changed, or if anything
// appeared in the home directory.
func homeSentinel(t *testing.T) (dir string, check func()) {
	t.Helper()
	dir = filepath.Join(env.user.HomeDir, randomName("cp-sentinel-"))
	mkUserDir(t, dir)
	t.Cleanup(func() { os.RemoveAll(dir) })
	writeUserFile(t, filepath.Join(dir, "keep"), "sentinel\n")
	before, homeBefore := treeState(t, dir), dirNames(t, env.user.HomeDir)
	return dir, func() {
		t.Helper()
		wantSameTree(t, "the sentinel directory", before, treeState(t, dir))
		if got := dirNames(t, env.user.HomeDir); got != homeBefore {
			t.Errorf("the home directory held %s, now %s", homeBefore, got)
		}
	}
}

// dirNames lists dir's entries (dot files too), sorted.
func dirNames(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return strings.Join(m, " ")
}

// Symlinks the container plants (absolute to /, to the test user's home,
// relative and climbing out of the root) are resolved inside the
// container, as a destination, as part of a path and as a source; a
// symlink at the destination is replaced, never written through.
func TestCpSymlinkEscape(t *testing.T) {
	sentinel, check := homeSentinel(t)
	rootfs := newRootfs(t)
	rel, err := filepath.Rel(rootfs, sentinel)
	if err != nil {
		t.Fatal(err)
	}
	detached(t, "--name", "cp-esc", "--rootfs", rootfs, "--", "sleep", "1000")
	inCtr(t, "cp-esc", fmt.Sprintf("ln -s / /escape; ln -s %s /h; ln -s %s /up; ln -s %s/keep /victim; mkdir /d; ln -s ../%s /d/rel",
		env.user.HomeDir, rel, sentinel, rel))
	evil := filepath.Join(hostFiles(t, map[string]string{"keep": "evil\n"}), "keep")
	for _, dst := range []string{"/escape" + sentinel + "/keep", "/escape" + sentinel + "/", "/h/", "/h/new",
		"/h/" + filepath.Base(sentinel) + "/keep", "/up/keep", "/up/", "/d/rel/", "/d/rel/keep"} {
		r := nook(t, "cp", evil, "cp-esc:"+dst)
		wantCpFailure(t, r, "no such file or directory")
	}
	wantCode(t, nook(t, "cp", evil, "cp-esc:/victim"), 0)
	if got := inCtr(t, "cp-esc", "test -L /victim || cat /victim"); got != "evil\n" {
		t.Errorf("/victim: %q, want the file copied over the symlink", got)
	}

	out := userTempDir(t)
	for _, src := range []string{"/escape" + sentinel + "/keep", "/up/keep", "/d/rel/keep", "/h/" + filepath.Base(sentinel)} {
		wantCpFailure(t, nook(t, "cp", "cp-esc:"+src, out), "no such file or directory")
	}
	wantCode(t, nook(t, "cp", "cp-esc:/d", out), 0)
	if l, err := os.Readlink(filepath.Join(out, "d/rel")); err != nil || l != "../"+rel {
		t.Errorf("/d/rel copied out: %q %v, want the symlink itself", l, err)
	}
	if got := dirNames(t, out); got != "d" {
		t.Errorf("copied out: %s", got)
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeSymlink, Linkname: sentinel})
	_ = tw.WriteHeader(&tar.Header{Name: "a/new", Mode: 0o644, Size: 5})
	_, _ = tw.Write([]byte("evil\n"))
	_ = tw.Close()
	cmd := nookCmd(t, "cp", "-", "cp-esc:/")
	cmd.Stdin = &buf
	wantCpFailure(t, run(t, cmd), "follows no symlink")
	check()
}

// A copy into a volume or a tmpfs mounted in the container lands in it,
// as the container sees it.
func TestCpIntoMounts(t *testing.T) {
	vol := userTempDir(t)
	rootfs := newRootfs(t)
	detached(t, "--name", "cp-mnt", "-v", vol+":/vol", "--tmpfs", "/scratch", "--rootfs", rootfs, "--", "sleep", "1000")
	f := filepath.Join(hostFiles(t, map[string]string{"f": "in a mount\n"}), "f")
	wantCode(t, nook(t, "cp", f, "cp-mnt:/vol/"), 0)
	wantFile(t, filepath.Join(vol, "f"), "in a mount\n", 0o644)
	wantCode(t, nook(t, "cp", f, "cp-mnt:/scratch/"), 0)
	if got := inCtr(t, "cp-mnt", "cat /scratch/f"); got != "in a mount\n" {
		t.Errorf("/scratch/f: %q", got)
	}
	if _, err := os.Lstat(filepath.Join(rootfs, "scratch/f")); err == nil {
		t.Error("the copy went under the tmpfs, into the rootfs directory")
	}
	out := userTempDir(t)
	wantCode(t, nook(t, "cp", "cp-mnt:/scratch/f", filepath.Join(out, "back")), 0)
	wantFile(t, filepath.Join(out, "back"), "in a mount\n", 0o644)
}

// Bad input fails with one line and leaves nothing behind; a stopped
// --rootfs container is copied to and from its directory.
func TestCpErrors(t *testing.T) {
	rootfs := newRootfs(t)
	detached(t, "--name", "cp-err", "--rootfs", rootfs, "--", "sleep", "1000")
	inCtr(t, "cp-err", "echo s > /secret && chown 1000:1000 /secret && chmod 600 /secret")
	src := hostFiles(t, map[string]string{"f": "f\n"})
	out := userTempDir(t)
	for _, c := range []struct{ src, dst, want string }{
		{"cp-err:/nope", out, "/nope: no such file or directory"},
		{filepath.Join(src, "nope"), "cp-err:/", "no such file or directory"},
		{filepath.Join(src, "f"), "cp-err:/no/such/f", "find the directory /no/such: no such file or directory"},
		{filepath.Join(src, "f"), "cp-err:/etc/passwd/", "not a directory"},
		{"cp-err:/etc", filepath.Join(src, "f"), "cannot be copied to it"},
		{"cp-err:/secret", out, "read /secret: permission denied in container cp-err (nook cp acts from the host"},
		{"cp-nothing:/x", out, "no such container"},
		{"cp-err:/x", "cp-err:/y", "between containers"},
		{filepath.Join(src, "f"), out, "neither side is in a container"},
	} {
		wantCpFailure(t, nook(t, "cp", c.src, c.dst), c.want)
	}
	if got := dirNames(t, out); got != "" {
		t.Errorf("failed copies left %s", got)
	}
	if got := inCtr(t, "cp-err", "ls -a / | grep -c nook-cp || true"); got != "0\n" {
		t.Errorf("temporary files in the container: %s", got)
	}

	wantCode(t, nook(t, "stop", "-t", "0", "cp-err"), 0)
	wantCode(t, nook(t, "cp", filepath.Join(src, "f"), "cp-err:/copied"), 0)
	wantFile(t, filepath.Join(rootfs, "copied"), "f\n", 0o644)
	wantCode(t, nook(t, "cp", "cp-err:/copied", filepath.Join(out, "again")), 0)
	wantFile(t, filepath.Join(out, "again"), "f\n", 0o644)
}

// A stopped image container's files are in no directory nook cp can use
// safely yet.
func TestCpStoppedImageContainer(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	ref := s.Busybox.Ref(t)
	e.pull(ref)
	e.ok("create", "--name", "cp-img", ref, "true")
	t.Cleanup(func() { e.nook("rm", "-f", "cp-img") })
	wantCpFailure(t, e.nook("cp", "cp-img:/etc/passwd", userTempDir(t)), "container cp-img is not running: start it, then nook cp")
}
