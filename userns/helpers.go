package userns

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Helpers are the setuid newuidmap/newgidmap programs from shadow's uidmap
// package; only they may map ids beyond the caller's own.
type Helpers struct{ NewUIDMap, NewGIDMap string } // absolute paths, "" when missing

// ErrHelperNotFound is the cause in a HelperError when FindHelpers found no
// such program.
var ErrHelperNotFound = errors.New("not found in $PATH, /usr/bin, /bin, /usr/sbin or /sbin")

// helperEnv is the whole environment the helpers get: they are setuid and
// need nothing from ours, and the C locale keeps their messages in the
// English that ExplainHelperFailure recognises.
var helperEnv = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL=C"}

// FindHelpers looks in $PATH then /usr/bin, /bin, /usr/sbin, /sbin; it does
// not fail when missing (fields stay "").
func FindHelpers() Helpers {
	dirs := append(filepath.SplitList(os.Getenv("PATH")), "/usr/bin", "/bin", "/usr/sbin", "/sbin")
	return Helpers{NewUIDMap: findIn(dirs, "newuidmap"), NewGIDMap: findIn(dirs, "newgidmap")}
}

// findIn returns the first executable dir/name. Relative $PATH entries are
// ignored: they would let the current directory pick the program we hand a
// pid to.
func findIn(dirs []string, name string) string {
	for _, dir := range dirs {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		// No check for the setuid bit: Fedora and others grant cap_setuid
		// and cap_setgid as file capabilities instead.
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// HelperError is a failed newuidmap or newgidmap run.
type HelperError struct {
	Helper string // "newuidmap" or "newgidmap"
	PID    int    // the target process
	Stderr string // the helper's own message, on one line; "" if it printed none
	Err    error  // ErrHelperNotFound, a start error or an *exec.ExitError
}

func (e *HelperError) Error() string {
	if e.Stderr != "" {
		return e.Helper + " " + strconv.Itoa(e.PID) + ": " + e.Stderr
	}
	return fmt.Sprintf("%s %d: %v", e.Helper, e.PID, e.Err)
}

func (e *HelperError) Unwrap() error { return e.Err }

// Apply runs newuidmap PID <triples...> and newgidmap PID <triples...>
// concurrently and returns a one-line error that includes the helper's own
// stderr message. An empty mapping skips its helper, for callers that write
// that map themselves.
func (h Helpers) Apply(pid int, uids, gids []specs.LinuxIDMapping) error {
	s, err := h.Start(pid, uids, gids)
	if err != nil {
		return err
	}
	return s.Wait()
}

// ErrNotDelegated is the answer of a process that was to write a gid map
// for another and cannot: the asker writes it itself.
var ErrNotDelegated = errors.New("the id map was not written for us")

// Mapping is a write of a process's id maps under way.
type Mapping struct{ uid, gid *helperRun }

// Start starts both helpers, as Apply does, without waiting for them: the
// caller can do other work while they run (each exec of a setuid helper
// costs about a millisecond on the container start path), then must Wait.
//
// Every descriptor above stderr is marked close-on-exec first (process-wide,
// see closeExtraFDsOnExec) so the helpers see no fd but 0, 1 and 2.
func (h Helpers) Start(pid int, uids, gids []specs.LinuxIDMapping) (*Mapping, error) {
	if err := closeExtraFDsOnExec(); err != nil {
		return nil, fmt.Errorf("mark descriptors close-on-exec before newuidmap: %w", err)
	}
	return &Mapping{uid: startHelper("newuidmap", h.NewUIDMap, pid, uids), gid: startHelper("newgidmap", h.NewGIDMap, pid, gids)}, nil
}

// Wait returns once both helpers are done, with the first failure (or
// both).
func (m *Mapping) Wait() error {
	uerr, gerr := m.uid.wait(), m.gid.wait()
	switch {
	case uerr != nil && gerr != nil:
		return fmt.Errorf("%w; %w", uerr, gerr)
	case uerr != nil:
		return uerr
	default:
		return gerr
	}
}

// helperRun is one started helper; a nil *helperRun is one that had nothing
// to do.
type helperRun struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	err    *HelperError
}

func startHelper(name, path string, pid int, m []specs.LinuxIDMapping) *helperRun {
	if len(m) == 0 {
		return nil
	}
	r := &helperRun{err: &HelperError{Helper: name, PID: pid}}
	if path == "" {
		r.err.Err = ErrHelperNotFound
		return r
	}
	r.cmd = exec.Command(path, append([]string{strconv.Itoa(pid)}, mapArgs(m)...)...)
	r.cmd.Env = helperEnv
	r.cmd.Stderr = &r.stderr
	if err := r.cmd.Start(); err != nil {
		r.err.Err = err
		r.cmd = nil
	}
	return r
}

// wait returns nil when the helper succeeded or never had to run.
func (r *helperRun) wait() error {
	if r == nil {
		return nil
	}
	if r.cmd != nil {
		r.err.Err = r.cmd.Wait()
		if r.err.Err == nil {
			return nil
		}
		r.err.Stderr = oneLine(r.stderr.Bytes())
	}
	return r.err
}

// maxMessage bounds a helper's message: a usage text should not flood the
// one line the user sees.
const maxMessage = 300

// oneLine joins the non-blank lines of msg with "; ".
func oneLine(msg []byte) string {
	var b []byte
	for line := range bytes.Lines(msg) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, "; "...)
		}
		b = append(b, line...)
	}
	if len(b) > maxMessage {
		b = append(bytes.ToValidUTF8(b[:maxMessage], nil), "..."...)
	}
	return string(b)
}
