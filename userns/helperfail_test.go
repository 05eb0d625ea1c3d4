package userns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// exitError returns a real *exec.ExitError, the Err of a helper that ran and
// failed.
func exitError(t *testing.T) error {
	t.Helper()
	err := exec.Command("/bin/sh", "-c", "exit 1").Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("sh exit 1: %v", err)
	}
	return err
}

func TestExplainHelperFailure(t *testing.T) {
	exit := exitError(t)
	h := Helpers{NewUIDMap: "/usr/bin/newuidmap", NewGIDMap: "/usr/bin/newgidmap"}
	subs := []Range{{100000, 65536}}
	failed := func(helper, stderr string) *HelperError {
		return &HelperError{Helper: helper, PID: 1234, Stderr: stderr, Err: exit}
	}
	missing := func(helper string) *HelperError {
		return &HelperError{Helper: helper, PID: 1234, Err: ErrHelperNotFound}
	}
	tests := []struct {
		name       string
		err        error
		h          Helpers
		uids, gids []Range
		want       []string
	}{
		{"newuidmap missing", missing("newuidmap"), Helpers{NewGIDMap: h.NewGIDMap}, subs, subs,
			[]string{"newuidmap not found: install the uidmap package (apt install uidmap", "remove your /etc/subuid entry to run with a single id"}},
		{"newgidmap missing", missing("newgidmap"), Helpers{NewUIDMap: h.NewUIDMap}, subs, subs,
			[]string{"newgidmap not found", "/etc/subgid entry"}},
		{"both missing", fmt.Errorf("%w; %w", missing("newuidmap"), missing("newgidmap")), Helpers{}, subs, subs,
			[]string{"newuidmap and newgidmap not found", "/etc/subuid and /etc/subgid entries"}},
		{"write refused", failed("newuidmap", "newuidmap: write to uid_map failed: Operation not permitted"), h, subs, subs,
			[]string{"newuidmap 1234: newuidmap: write to uid_map failed", "cap_setuid", "sudo chmod u+s /usr/bin/newuidmap", "no_new_privs", "nosuid"}},
		{"gid write refused", failed("newgidmap", "newgidmap: write to gid_map failed: Operation not permitted"), h, subs, subs,
			[]string{"cap_setgid", "sudo chmod u+s /usr/bin/newgidmap"}},
		{"range refused with an entry", failed("newuidmap", "newuidmap: uid range [1-65537) -> [100000-165537) not allowed"), h, subs, subs,
			[]string{"not allowed", "/etc/subuid (100000-165535)", "nsswitch.conf"}},
		{"range refused without an entry", failed("newgidmap", "newgidmap: gid range [1-2) -> [5-6) not allowed"), h, subs, nil,
			[]string{"no entry in /etc/subgid", "usermod --add-subuids"}},
		{"kernel rejects the map", failed("newuidmap", "newuidmap: write to uid_map failed: Invalid argument"), h, subs, subs,
			[]string{"nook bug", "/etc/subuid line"}},
		{"target gone", failed("newuidmap", "newuidmap: Could not open proc directory for target 1234"), h, subs, subs,
			[]string{"init exited before its id map was written"}},
		{"different owner", failed("newuidmap", "newuidmap: Target process 1234 is owned by a different user: uid:1000 pw_uid:1000 st_uid:0, gid:1000 pw_gid:1000 st_gid:0"), h, subs, subs,
			[]string{"another user", "sudo"}},
		{"no passwd entry", failed("newuidmap", "newuidmap: Cannot determine your user name."), h, subs, subs,
			[]string{"no /etc/passwd entry", "CI"}},
		{"both failed explains newuidmap", fmt.Errorf("%w; %w",
			failed("newuidmap", "newuidmap: write to uid_map failed: Operation not permitted"),
			failed("newgidmap", "newgidmap: gid range [1-2) -> [5-6) not allowed")), h, subs, subs,
			[]string{"cap_setuid"}},
		{"wrapped by the caller", fmt.Errorf("map ids: %w", failed("newuidmap", "newuidmap: write to uid_map failed: Operation not permitted")), h, subs, subs,
			[]string{"cap_setuid"}},
		{"cannot start", &HelperError{Helper: "newuidmap", PID: 1234, Err: &os.PathError{Op: "fork/exec", Path: "/usr/bin/newuidmap", Err: os.ErrPermission}}, h, subs, subs,
			[]string{"cannot run newuidmap 1234", "check that /usr/bin/newuidmap is executable"}},
		{"unknown helper message", failed("newgidmap", "newgidmap: something new"), h, subs, subs,
			[]string{"newgidmap 1234: newgidmap: something new", "/etc/subgid"}},
		{"not a helper error", errors.New("boom"), h, subs, subs,
			[]string{"cannot set up the id map (boom)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExplainHelperFailure(tt.err, tt.h, tt.uids, tt.gids)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("message %q lacks %q", got, w)
				}
			}
			checkOneLine(t, got)
		})
	}
	if got := ExplainHelperFailure(nil, h, subs, subs); got != "" {
		t.Errorf("nil error: got %q", got)
	}
}

func TestExplainHelperFailureFromApply(t *testing.T) {
	dir := t.TempDir()
	h := Helpers{
		NewUIDMap: writeScript(t, dir, "newuidmap", "echo 'newuidmap: write to uid_map failed: Operation not permitted' >&2; exit 1\n"),
		NewGIDMap: writeScript(t, dir, "newgidmap", "exit 0\n"),
	}
	err := h.Apply(1234, Identity(0), Identity(0))
	got := ExplainHelperFailure(err, h, nil, nil)
	if !strings.Contains(got, "cap_setuid") || !strings.Contains(got, h.NewUIDMap) {
		t.Errorf("got %q", got)
	}
}

func TestFormatRanges(t *testing.T) {
	tests := []struct {
		in   []Range
		want string
	}{
		{nil, ""},
		{[]Range{{100000, 65536}}, "100000-165535"},
		{[]Range{{1, 1}, {4294967290, 5}}, "1-1, 4294967290-4294967294"},
	}
	for _, tt := range tests {
		if got := formatRanges(tt.in); got != tt.want {
			t.Errorf("formatRanges(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
