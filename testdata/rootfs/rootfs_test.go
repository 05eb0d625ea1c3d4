package rootfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rootfs")
	probe := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probe, []byte("#!/bin/sh\necho probe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Build(dir, probe); err != nil {
		t.Fatalf("Build: %v", err)
	}
	// A second build over the first refreshes it.
	if err := Build(dir, probe); err != nil {
		t.Fatalf("Build again: %v", err)
	}

	modes := map[string]os.FileMode{
		"bin/busybox":   0o755,
		"usr/bin/probe": 0o755,
		"etc/passwd":    0o644,
		"etc/group":     0o644,
		"tmp":           os.ModeDir | os.ModeSticky | 0o777,
		"root":          os.ModeDir | 0o700,
		"home/user":     os.ModeDir | 0o755,
	}
	for _, d := range []string{"proc", "dev", "sys", "etc", "var", "usr/bin"} {
		modes[d] = os.ModeDir | 0o755
	}
	for path, want := range modes {
		fi, err := os.Lstat(filepath.Join(dir, path))
		if err != nil {
			t.Error(err)
			continue
		}
		if got := fi.Mode(); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}

	for _, applet := range []string{"sh", "true", "cat", "ls"} {
		link := filepath.Join(dir, "bin", applet)
		target, err := os.Readlink(link)
		if err != nil || target != "busybox" {
			t.Errorf("%s -> %q, %v; want -> busybox", link, target, err)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "bin/sh"), "-c", "echo hello").Output()
	if err != nil || string(out) != "hello\n" {
		t.Errorf("bin/sh -c 'echo hello' = %q, %v", out, err)
	}

	passwd, err := os.ReadFile(filepath.Join(dir, "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"root:x:0:0:root:/root:/bin/sh", "user:x:1000:1000:user:/home/user:/bin/sh"} {
		if !strings.Contains(string(passwd), line+"\n") {
			t.Errorf("etc/passwd lacks %q:\n%s", line, passwd)
		}
	}
	group, err := os.ReadFile(filepath.Join(dir, "etc/group"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(group), "wheel:x:10:user\n") {
		t.Errorf("etc/group lacks wheel:\n%s", group)
	}
}
