package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"nook/container"
	"nook/hostinfo"
	"nook/userns"
)

type infoCmd struct {
	Format string `default:"text" enum:"text,json" help:"Output format: text or json."`
}

// Run prints the report; problems are listed with their fixes, and the
// exit status is 0 either way: this is a diagnostic, not a gate.
func (c *infoCmd) Run(g *globals) error {
	uid := uint32(os.Getuid())
	name := userName(uid)
	subUIDs, _ := userns.LookupSubIDs("/etc/subuid", name, uid)
	subGIDs, _ := userns.LookupSubIDs("/etc/subgid", name, uid)
	h := userns.FindHelpers()
	home, _ := os.UserHomeDir()
	e := hostinfo.Env{
		ProcRoot: "/proc", EtcRoot: "/etc", DevRoot: "/dev",
		UID: int(uid), User: name,
		XDGRuntimeDir: os.Getenv("XDG_RUNTIME_DIR"), XDGDataHome: os.Getenv("XDG_DATA_HOME"), Home: home,
		SubUIDs: ranges(subUIDs), SubGIDs: ranges(subGIDs),
		NewUIDMap: h.NewUIDMap, NewGIDMap: h.NewGIDMap,
		Probes: hostinfo.Probes{
			UserNS:          container.ProbeUserNS,
			OverlayInUserNS: func() error { return container.ProbeOverlay(scratchDir(home)) },
		},
		ExplainUserNS: func(err error) string { return userns.Explain("/proc", err) },
	}
	r := hostinfo.Gather(e)
	if c.Format == "json" {
		return r.WriteJSON(g.Stdout)
	}
	return r.WriteText(g.Stdout)
}

func ranges(rs []userns.Range) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d-%d", r.Start, r.Start+r.Count-1))
	}
	return out
}

// scratchDir is where the overlay probe runs: the store's filesystem is the
// one overlay must work on, and /tmp is often a tmpfs that differs from it.
func scratchDir(home string) string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	if d := filepath.Join(home, ".local", "share"); home != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return os.TempDir()
}
