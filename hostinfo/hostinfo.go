// Package hostinfo gathers what `nook info` prints: every fact about this host
// that decides whether rootless containers work here, and for each problem a
// one-line fix. It only looks; probes that need new namespaces are passed in
// by the caller, which re-executes the binary to run them.
package hostinfo

import "nook/cgroups"

// Check is one line of the report. OK is false exactly when Fix is set.
type Check struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Value string `json:"value"`
	Fix   string `json:"fix,omitempty"`
}

// Report is the whole of `nook info`: the checks in display order, plus the
// main facts as plain fields for scripts reading --json.
type Report struct {
	Kernel   string        `json:"kernel"`
	Distro   string        `json:"distro"`
	User     string        `json:"user"`
	UID      int           `json:"uid"`
	StateDir string        `json:"state_dir"`
	StoreDir string        `json:"store_dir"`
	Cgroup   *cgroups.Host `json:"cgroup,omitempty"` // nil if discovery failed
	Checks   []Check       `json:"checks"`
}

// Probes are the checks that need a user namespace; nil means "not checked".
type Probes struct {
	UserNS          func() error // creates a user namespace; nil error = works
	OverlayInUserNS func() error // mounts overlayfs inside one
}

// Env is everything Gather reads, so tests can point it at temporary trees.
type Env struct {
	ProcRoot, EtcRoot, DevRoot string // normally /proc, /etc, /dev
	UID                        int
	User                       string
	XDGRuntimeDir              string // "" when unset
	XDGDataHome                string // "" when unset
	Home                       string

	// SubUIDs and SubGIDs are the user's subordinate ranges as "START-END",
	// already parsed from /etc/subuid and /etc/subgid by the caller.
	SubUIDs, SubGIDs []string
	// NewUIDMap and NewGIDMap are the helpers' paths, "" if not found.
	NewUIDMap, NewGIDMap string

	Probes Probes
	// ExplainUserNS turns a user namespace failure into a fix (which sysctl,
	// AppArmor or seccomp setting refused it); nil falls back to a generic one.
	ExplainUserNS func(error) string
}

func ok(name, value string) Check { return Check{Name: name, OK: true, Value: value} }

func problem(name, value, fix string) Check {
	return Check{Name: name, Value: value, Fix: fix}
}
