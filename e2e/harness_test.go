package e2e

// Tests of the harness itself, with host commands and the probe: they pass
// whatever state nook is in, so a failure here is the harness's.

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHarnessRunsAsTestUser(t *testing.T) {
	r := asUser(t, "id", "-u")
	wantCode(t, r, 0)
	if got := strings.TrimSpace(r.Stdout); got != strconv.Itoa(env.uid) {
		t.Errorf("id -u = %q, want %d", got, env.uid)
	}
	r = asUser(t, "env")
	wantCode(t, r, 0)
	got := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	want := userEnv()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("environment:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r = asUser(t, "sh", "-c", "pwd; exit 3")
	wantCode(t, r, 3)
	if got := strings.TrimSpace(r.Stdout); got != env.user.HomeDir {
		t.Errorf("working directory %q, want %q", got, env.user.HomeDir)
	}
}

func TestHarnessDirectories(t *testing.T) {
	for _, dir := range []string{env.runtimeDir, userTempDir(t), rootfs(t), newRootfs(t)} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != env.uid {
			t.Errorf("%s is owned by uid %d, want %d", dir, st.Uid, env.uid)
		}
		wantCode(t, asUser(t, "test", "-w", dir), 0)
	}
	if fi, err := os.Stat(env.runtimeDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("XDG_RUNTIME_DIR %s: %v, %v; want mode 0700", env.runtimeDir, fi.Mode(), err)
	}
	// The binaries and the rootfs's files are the user's to run.
	for _, bin := range []string{env.nook, env.probe, filepath.Join(rootfs(t), "usr/bin/probe")} {
		wantCode(t, asUser(t, "test", "-x", bin), 0)
	}
	r := asUser(t, filepath.Join(rootfs(t), "bin/sh"), "-c", "echo hi")
	wantCode(t, r, 0)
}

func TestHarnessPty(t *testing.T) {
	p := startPty(t, asUserCmd(t, env.probe, "isatty"), 24, 80)
	p.Expect("0:tty 1:tty 2:tty", 10*time.Second)
	wantCode(t, p.Wait(), 0)

	p = startPty(t, asUserCmd(t, env.probe, "winsize"), 24, 80)
	p.Expect("24 80", 10*time.Second)
	p.Resize(30, 100)
	p.Expect("30 100", 10*time.Second)
	p.Write("\x04") // ^D at the start of a line: EOF on the probe's stdin
	wantCode(t, p.Wait(), 0)
}

func TestHarnessSession(t *testing.T) {
	s := startSession(t, asUserCmd(t, env.probe, "signals"))
	s.Expect("ready\n", 10*time.Second)
	s.Signal(syscall.SIGUSR1)
	s.Expect("SIGUSR1\n", 10*time.Second)
	s.Signal(syscall.SIGTERM)
	s.Expect("SIGTERM\n", 10*time.Second)
	wantCode(t, s.Wait(), 0)

	s = startSession(t, asUserCmd(t, "cat"))
	s.Write("hello\n")
	s.Expect("hello\n", 10*time.Second)
	s.CloseStdin()
	r := s.Wait()
	wantCode(t, r, 0)
	if r.Stdout != "hello\n" {
		t.Errorf("cat wrote %q", r.Stdout)
	}
}

func TestHarnessDescendants(t *testing.T) {
	// The child of sh outlives neither sh nor the probe that sh becomes,
	// which never waits: it stays a zombie.
	s := startSession(t, asUserCmd(t, "sh", "-c", env.probe+" exit 0 & exec "+env.probe+" signals"))
	s.Expect("ready\n", 10*time.Second)
	var procs []proc
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		procs = descendants(t, s.Pid())
		if len(procs) == 1 && procs[0].State == 'Z' {
			break
		}
	}
	if len(procs) != 1 || procs[0].State != 'Z' || procs[0].PPid != s.Pid() {
		t.Errorf("descendants of %d: %+v, want one zombie", s.Pid(), procs)
	}
	s.Signal(syscall.SIGTERM)
	wantCode(t, s.Wait(), 0)
}
