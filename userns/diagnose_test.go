package userns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// procFixture builds a fake proc root holding the given files (path
// relative to the root → content).
func procFixture(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const (
	maxNS    = "sys/user/max_user_namespaces"
	debian   = "sys/kernel/unprivileged_userns_clone"
	apparmor = "sys/kernel/apparmor_restrict_unprivileged_userns"
	status   = "self/status"
	nsUser   = "self/ns/user"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		err   error
		want  []string // substrings the message must contain
	}{
		{"max_user_namespaces=0", map[string]string{maxNS: "0\n"}, syscall.ENOSPC,
			[]string{"user namespaces are disabled (user.max_user_namespaces=0): run `sudo sysctl -w user.max_user_namespaces=15000`"}},
		{"max_user_namespaces=0 wins over EPERM", map[string]string{maxNS: "0\n", apparmor: "1\n"}, syscall.EPERM,
			[]string{"user.max_user_namespaces=0"}},
		{"limit reached", map[string]string{maxNS: "128\n"}, syscall.ENOSPC,
			[]string{"limit is reached", "user.max_user_namespaces=128", "sysctl -w user.max_user_namespaces=15000"}},
		{"high limit reached suggests double", map[string]string{maxNS: "60000\n"}, syscall.ENOSPC,
			[]string{"user.max_user_namespaces=60000", "user.max_user_namespaces=120000"}},
		{"limit reached without the knob", nil, syscall.ENOSPC,
			[]string{"limit is reached", "user.max_user_namespaces"}},
		{"apparmor restriction", map[string]string{maxNS: "63379\n", apparmor: "1\n", debian: "1\n"}, syscall.EPERM,
			[]string{"AppArmor", "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`", "`userns,`"}},
		{"apparmor restriction as EACCES", map[string]string{apparmor: "1\n"}, syscall.EACCES,
			[]string{"kernel.apparmor_restrict_unprivileged_userns=0"}},
		{"apparmor knob off", map[string]string{apparmor: "0\n", status: "Seccomp:\t2\n"}, syscall.EPERM,
			[]string{"seccomp"}},
		{"debian knob", map[string]string{maxNS: "63379\n", debian: "0\n"}, syscall.EPERM,
			[]string{"kernel.unprivileged_userns_clone=0", "`sudo sysctl -w kernel.unprivileged_userns_clone=1`"}},
		{"debian knob before apparmor", map[string]string{debian: "0\n", apparmor: "1\n"}, syscall.EPERM,
			[]string{"kernel.unprivileged_userns_clone=1"}},
		{"seccomp filter present", map[string]string{maxNS: "63379\n", status: "Name:\tnook\nSeccomp:\t2\nSeccomp_filters:\t1\n"}, syscall.EPERM,
			[]string{"seccomp profile of the container", "--security-opt seccomp=unconfined", "as root"}},
		{"seccomp unknown", map[string]string{maxNS: "63379\n"}, syscall.EPERM,
			[]string{"probably by the seccomp profile", "--security-opt seccomp=unconfined"}},
		{"no seccomp filter", map[string]string{maxNS: "63379\n", status: "Seccomp:\t0\n"}, syscall.EPERM,
			[]string{"chroot"}},
		{"wrapped errno", map[string]string{debian: "0\n"}, fmt.Errorf("clone init: %w", syscall.EPERM),
			[]string{"kernel.unprivileged_userns_clone=1"}},
		{"EACCES from a security module", nil, syscall.EACCES,
			[]string{"security module", "journalctl -k"}},
		{"ENOSYS", map[string]string{maxNS: "0\n"}, syscall.ENOSYS,
			[]string{"CONFIG_USER_NS"}},
		{"EINVAL without a user ns entry", nil, syscall.EINVAL,
			[]string{"without CONFIG_USER_NS"}},
		{"EINVAL with user namespaces built in", map[string]string{nsUser: ""}, syscall.EINVAL,
			[]string{"bug in nook"}},
		{"unknown errno", nil, syscall.EIO,
			[]string{"cannot create a user namespace (input/output error)"}},
		{"not an errno", nil, fmt.Errorf("sync pipe closed"),
			[]string{"cannot create a user namespace (sync pipe closed)"}},
		{"garbage knob ignored", map[string]string{maxNS: "lots\n", debian: "\n", status: "Seccomp:\t2\n"}, syscall.EPERM,
			[]string{"seccomp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Explain(procFixture(t, tt.files), tt.err)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("message %q lacks %q", got, w)
				}
			}
			checkOneLine(t, got)
		})
	}
	if got := Explain(t.TempDir(), nil); got != "" {
		t.Errorf("Explain(nil) = %q, want \"\"", got)
	}
}

// checkOneLine enforces the house style of user-facing messages.
func checkOneLine(t *testing.T, msg string) {
	t.Helper()
	switch {
	case msg == "":
		t.Error("empty message")
	case strings.Contains(msg, "\n"):
		t.Errorf("message %q has a newline", msg)
	case strings.HasSuffix(msg, "."):
		t.Errorf("message %q ends with a period", msg)
	case strings.ToLower(msg[:1]) != msg[:1]:
		t.Errorf("message %q starts upper-case", msg)
	case !strings.Contains(msg, ": "):
		t.Errorf("message %q does not separate cause and fix", msg)
	}
}
