package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestVersion(t *testing.T) {
	r := nook(t, "version")
	wantCode(t, r, 0)
	if strings.TrimSpace(r.Stdout) == "" {
		t.Errorf("nook version printed no version: %v", r)
	}
}

func TestHelpListsCommands(t *testing.T) {
	r := nook(t, "--help")
	wantCode(t, r, 0)
	for _, cmd := range []string{"run", "sandbox", "info"} {
		if !regexp.MustCompile(`(?m)^\s+` + cmd + `\b`).MatchString(r.Stdout) {
			t.Errorf("nook --help does not list %q:\n%s", cmd, r.Stdout)
		}
	}
}

// Usage errors are one line on stderr and exit status 2.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		mention string // what the message must name
	}{
		{[]string{"--bogus"}, "bogus"},
		{[]string{"run", "--bogus"}, "bogus"},
		{[]string{"run", "--rootfs", rootfs(t), "--bogus", "/bin/true"}, "bogus"},
		{[]string{"sandbox", "--bogus", "/bin/true"}, "bogus"},
		{[]string{"info", "--bogus"}, "bogus"},
		{[]string{"run"}, ""},
		{[]string{"run", "--rootfs", rootfs(t)}, ""},
		{[]string{"sandbox"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := nook(t, tc.args...)
			wantCode(t, r, 2)
			msg := strings.TrimRight(r.Stderr, "\n")
			if msg == "" || strings.Contains(msg, "\n") {
				t.Errorf("want a one-line error on stderr, got %q", r.Stderr)
			}
			if !strings.Contains(msg, tc.mention) {
				t.Errorf("error %q does not mention %q", msg, tc.mention)
			}
		})
	}
}

func TestStaticBinary(t *testing.T) {
	r := asUser(t, "file", "-L", env.nook)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "statically linked") {
		t.Errorf("nook is not statically linked: %s", r.Stdout)
	}
}

func TestInfoJSON(t *testing.T) {
	r := nook(t, "info", "--format", "json")
	wantCode(t, r, 0)
	if !json.Valid([]byte(r.Stdout)) {
		t.Errorf("nook info --format json is not JSON:\n%s", r.Stdout)
	}
}

func TestSandboxTrue(t *testing.T) {
	wantCode(t, nook(t, "sandbox", "--", "/bin/true"), 0)
}

// The exit status is the command's, or 126 / 127 when it cannot run.
func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  []string
		code int
	}{
		{"true", []string{"/bin/true"}, 0},
		{"false", []string{"/bin/false"}, 1},
		{"probe exit 7", []string{"probe", "exit", "7"}, 7},
		{"shell exit 200", []string{"/bin/sh", "-c", "exit 200"}, 200},
		{"not found", []string{"/no/such/command"}, 127},
		{"not executable", []string{"/etc/passwd"}, 126},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--rm", "--rootfs", rootfs(t), "--"}, tc.cmd...)
			r := nook(t, args...)
			wantCode(t, r, tc.code)
		})
	}
}

// The probe is on the container's PATH and sees namespaces of its own.
func TestRunProbe(t *testing.T) {
	host := nsInodes(t, asUser(t, env.probe, "ns"))
	r := nook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "probe", "ns")
	wantCode(t, r, 0)
	ctr := nsInodes(t, r)
	for _, ns := range []string{"user", "mnt", "pid", "uts", "ipc"} {
		if ctr[ns] == "" || ctr[ns] == host[ns] {
			t.Errorf("%s namespace %q in the container, %q on the host: want a new one", ns, ctr[ns], host[ns])
		}
	}
}

func nsInodes(t *testing.T, r result) map[string]string {
	t.Helper()
	wantCode(t, r, 0)
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		name, inode, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("probe ns: unexpected line %q", line)
		}
		m[name] = inode
	}
	return m
}

// -i passes stdin through; without -t no terminal is involved.
func TestRunInteractive(t *testing.T) {
	s := startNook(t, "run", "--rm", "-i", "--rootfs", rootfs(t), "--", "/bin/cat")
	s.Write("hello\n")
	s.Expect("hello\n", 10*time.Second)
	s.CloseStdin()
	r := s.Wait()
	wantCode(t, r, 0)
	if r.Stdout != "hello\n" {
		t.Errorf("stdout %q, want %q", r.Stdout, "hello\n")
	}
}

// -it gives the command a terminal of the caller's terminal size.
func TestRunTerminal(t *testing.T) {
	p := nookPty(t, "run", "--rm", "-it", "--rootfs", rootfs(t), "--", "probe", "isatty")
	p.Expect("0:tty 1:tty 2:tty", 10*time.Second)
	wantCode(t, p.Wait(), 0)

	p = nookPty(t, "run", "--rm", "-it", "--rootfs", rootfs(t), "--", "probe", "winsize")
	p.Expect("24 80", 10*time.Second)
	p.Resize(40, 120)
	p.Expect("40 120", 10*time.Second)
	p.Write("\x04")
	wantCode(t, p.Wait(), 0)
}
