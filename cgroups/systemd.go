package cgroups

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"
)

// The systemd cgroup manager, as podman's: systemd's user manager makes a
// transient scope nook-<name>.scope with Delegate=yes and moves nook into
// it; nook then owns the scope's subtree:
//
//	nook-<name>.scope/supervisor   nook itself
//	nook-<name>.scope/container    the container, with its limits
//
// (cgroup v2 allows no processes in a cgroup that hands controllers to its
// children, so nook cannot stay in the scope itself). systemd collects the
// scope (CollectMode=inactive-or-failed) once nook, its last process, is gone.
const (
	supervisorName = "supervisor"
	containerName  = "container"
	// busTimeout bounds the whole conversation with systemd: connecting,
	// StartTransientUnit and the job.
	busTimeout = 5 * time.Second
)

// ErrNoUserManager is wrapped by the errors of CreateScope that mean there
// is no systemd user manager to ask: no user bus, or nobody at
// org.freedesktop.systemd1 on it.
var ErrNoUserManager = errors.New("no systemd user manager")

// ScopeUnit is the name of the transient scope for container name.
func ScopeUnit(name string) string { return "nook-" + name + ".scope" }

// IsSlice is whether parent names a systemd slice (e.g. "nook.slice"), what
// --cgroup-parent means to the systemd manager.
func IsSlice(parent string) bool {
	return strings.HasSuffix(parent, ".slice") && len(parent) > len(".slice") && !strings.ContainsAny(parent, "/ ")
}

// scopeStarter asks systemd for the transient scope unit and waits for its
// job to end.
type scopeStarter func(ctx context.Context, unit string, props []property) error

// CreateScope makes the container's cgroup with systemd's user manager: it
// asks for the transient scope ScopeUnit(name) (in slice, the manager's
// default when ""), containing nook, and lays it out as described above,
// with the limits written in the container's cgroup, which is left open for
// FD (CLONE_INTO_CGROUP). The D-Bus connection lasts only as long as the
// request and is bounded by a timeout.
func CreateScope(h Host, slice, name string, l Limits) (*Cgroup, error) {
	return newManager().createScope(h, slice, name, l, startScope, func() (io.ReadCloser, error) {
		return os.Open("/proc/self/cgroup")
	})
}

func (m *manager) createScope(h Host, slice, name string, l Limits, start scopeStarter,
	selfCgroup func() (io.ReadCloser, error)) (*Cgroup, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if h.Version != V2 || h.Mount == "" {
		if err := CheckLimits(h, l); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("the systemd cgroup manager needs cgroup v2, which this host lacks (%s): use --cgroup-manager=cgroupfs", layout(h))
	}
	if h.Dir == "" {
		return nil, errors.New("cannot create a cgroup for the container: " + h.placement())
	}
	if slice != "" && !IsSlice(slice) {
		return nil, fmt.Errorf("--cgroup-parent %s: the systemd cgroup manager takes a slice (e.g. nook.slice): "+
			"for a cgroup path use --cgroup-manager=cgroupfs", slice)
	}
	unit := ScopeUnit(name)
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	if err := start(ctx, unit, scopeProperties(name, slice, m.owner)); err != nil {
		return nil, err
	}
	f, err := selfCgroup()
	if err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	scope, err := scopeDir(h, f, unit)
	f.Close()
	if err != nil {
		return nil, err
	}
	return m.inScope(h, scope, l)
}

// scopeProperties are those of StartTransientUnit for container name's
// scope, which starts with pid (nook) in it.
func scopeProperties(name, slice string, pid int) []property {
	props := []property{
		{Name: "Description", Value: "nook container " + name},
		{Name: "PIDs", Value: []uint32{uint32(pid)}},
		{Name: "Delegate", Value: true},
		{Name: "CollectMode", Value: "inactive-or-failed"},
	}
	if slice != "" {
		props = append(props, property{Name: "Slice", Value: slice})
	}
	return props
}

// scopeDir is the directory under h.Mount of the scope unit, which
// procCgroup (/proc/self/cgroup, read after the scope started) must show
// the caller in.
func scopeDir(h Host, procCgroup io.Reader, unit string) (string, error) {
	own, found, err := parseProcCgroup(procCgroup)
	if err != nil {
		return "", fmt.Errorf("create cgroup: %w", err)
	}
	if !found || path.Base(own) != unit {
		return "", fmt.Errorf("create cgroup: systemd started %s but did not move nook into it (nook's cgroup is %s)", unit, quoteOwn(own))
	}
	root, ok := h.mountRoot()
	rel, inside := relativeTo(root, own)
	if !ok || !inside {
		return "", fmt.Errorf("create cgroup: the cgroup of %s, %s, is not visible under the cgroup2 mount at %s", unit, own, h.Mount)
	}
	return path.Join(h.Mount, rel), nil
}

// mountRoot is the cgroup h.Mount shows at its top, in the terms of h.Own,
// derived from h.Own and h.Dir.
func (h Host) mountRoot() (string, bool) {
	if h.Dir == "" || h.Own == "" || !within(h.Dir, h.Mount) {
		return "", false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(h.Dir, h.Mount), "/")
	if rel == "" {
		return h.Own, true
	}
	root, ok := strings.CutSuffix(h.Own, "/"+rel)
	if !ok {
		return "", false
	}
	if root == "" {
		root = "/"
	}
	return root, true
}

// inScope lays out the scope nook was just moved into: nook goes to
// scope/supervisor, the controllers the limits need (and memory, pids and
// io where delegated, for stats and OOM detection) are enabled in the scope
// and the container's cgroup scope/container is made with the limits.
func (m *manager) inScope(h Host, scope string, l Limits) (*Cgroup, error) {
	if err := m.moveAll(scope, path.Join(scope, supervisorName)); err != nil {
		return nil, err
	}
	b, err := m.fs.ReadFile(path.Join(scope, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	sh := h
	sh.Writable, sh.Delegated = scope, strings.Fields(string(b))
	if err := CheckLimits(sh, l); err != nil {
		return nil, err
	}
	need := l.Controllers()
	if _, err := m.enable(scope, need, accounting(sh, need)); err != nil {
		return nil, err
	}
	return m.leaf(path.Join(scope, containerName), l)
}

// startScope is the scopeStarter that talks to systemd over the user bus
// (dbus.go).
func startScope(ctx context.Context, unit string, props []property) error {
	addr, err := userBusAddress(os.Getenv)
	if err != nil {
		return err
	}
	timedOut := func(err error) bool { return ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) }
	conn, err := dialBus(ctx, addr)
	if err != nil {
		if timedOut(err) {
			return fmt.Errorf("create cgroup: the user bus at %s did not answer within %v", addr, busTimeout)
		}
		return unreachable(addr, err)
	}
	defer conn.Close()
	result, stage, err := conn.startTransientUnit(unit, "fail", props)
	switch {
	case err == nil:
	case stage == stageBus && timedOut(err):
		return fmt.Errorf("create cgroup: the user bus at %s did not answer within %v", addr, busTimeout)
	case stage == stageBus || noManager(err):
		return unreachable(addr, err)
	case stage == stageSystemd && timedOut(err):
		return fmt.Errorf("create cgroup: systemd did not answer within %v at %s", busTimeout, addr)
	case stage == stageSystemd:
		return fmt.Errorf("create cgroup: systemd refused the scope %s: %s", unit, oneLine(err))
	case timedOut(err):
		return fmt.Errorf("create cgroup: systemd did not start the scope %s within %v", unit, busTimeout)
	default:
		return fmt.Errorf("create cgroup: waiting for systemd to start the scope %s: %s", unit, oneLine(err))
	}
	if result != "done" {
		return fmt.Errorf("create cgroup: systemd could not start the scope %s (job result %q): "+
			"journalctl --user -u %s may say why", unit, result, unit)
	}
	return nil
}

// userBusAddress is the user's session bus, where its systemd manager
// listens: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus.
func userBusAddress(getenv func(string) string) (string, error) {
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return "unix:path=" + escapeAddressValue(path.Join(d, "bus")), nil
	}
	return "", fmt.Errorf("%w: neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set, so there is no user bus "+
		"to ask: log in through systemd-logind (or sudo loginctl enable-linger $USER), or use --cgroup-manager=cgroupfs",
		ErrNoUserManager)
}

func unreachable(addr string, err error) error {
	return fmt.Errorf("%w at %s (%s): run nook in a systemd user session "+
		"(log in through systemd-logind, or sudo loginctl enable-linger $USER), or use --cgroup-manager=cgroupfs",
		ErrNoUserManager, addr, oneLine(err))
}

// noManager is whether a call failed because nobody owns
// org.freedesktop.systemd1 on the bus (the bus may try to start it from a
// service file, which fails without systemd).
func noManager(err error) bool {
	var e *busError
	if !errors.As(err, &e) {
		return false
	}
	return e.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || e.Name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
		strings.HasPrefix(e.Name, "org.freedesktop.DBus.Error.Spawn.")
}

// oneLine is err's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
