package hostinfo

import (
	"errors"
	"strings"
	"testing"
)

func TestUserNSCheckFallback(t *testing.T) {
	refused := func() error { return errors.New("operation not permitted") }
	tests := []struct {
		name    string
		explain func(error) string
		want    string
	}{
		{"no explainer", nil, genericUserNSFix},
		{"explainer without an answer", func(error) string { return "" }, genericUserNSFix},
		{"explainer", func(error) string { return "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" },
			"sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"},
	}
	for _, tt := range tests {
		c := userNSCheck(Env{Probes: Probes{UserNS: refused}, ExplainUserNS: tt.explain})
		if c.OK || c.Fix != tt.want || c.Value != "refused: operation not permitted" {
			t.Errorf("%s: got %+v", tt.name, c)
		}
	}
}

func TestOverlayCheckOldKernel(t *testing.T) {
	e := Env{Probes: Probes{OverlayInUserNS: func() error { return errors.New("invalid argument") }}}
	tests := []struct {
		kernel, prefix string
	}{
		{"5.4.0-150-generic", "overlayfs in a user namespace needs Linux 5.11 or later; until then install fuse-overlayfs"},
		{"6.8.0", "install fuse-overlayfs"},
	}
	for _, tt := range tests {
		if c := overlayCheck(e, true, tt.kernel); c.OK || !strings.HasPrefix(c.Fix, tt.prefix) {
			t.Errorf("%s: got %+v", tt.kernel, c)
		}
	}
}
