package userns

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ExplainHelperFailure turns an error from Helpers.Apply into one line that
// names the cause and the fix. uidRanges and gidRanges are the caller's
// entries in /etc/subuid and /etc/subgid, for the wording. A nil err yields "".
func ExplainHelperFailure(err error, h Helpers, uidRanges, gidRanges []Range) string {
	if err == nil {
		return ""
	}
	failed := helperErrors(err)
	if len(failed) == 0 {
		return fmt.Sprintf("cannot set up the id map (%v): remove your /etc/subuid and /etc/subgid entries to run with a single id", err)
	}
	if missing := missingHelpers(failed); missing != "" {
		return missing
	}
	// With both failing the first (newuidmap) is explained; the second
	// almost always fails for the same reason.
	he := failed[0]
	file, ranges, path := "/etc/subuid", uidRanges, h.NewUIDMap
	if he.Helper == "newgidmap" {
		file, ranges, path = "/etc/subgid", gidRanges, h.NewGIDMap
	}
	var exitErr *exec.ExitError
	if !errors.As(he.Err, &exitErr) {
		return fmt.Sprintf("cannot run %v: check that %s is executable, or reinstall the uidmap package", he, path)
	}
	msg := strings.ToLower(he.Stderr)
	switch {
	case strings.Contains(msg, "not allowed"):
		return rangeRefused(he, file, ranges)
	case strings.Contains(msg, "write to") && strings.Contains(msg, "operation not permitted"):
		return notPrivileged(he, path)
	case strings.Contains(msg, "write to") && strings.Contains(msg, "invalid argument"):
		// Overlapping or too many extents: PlanIDMap should never produce them.
		return fmt.Sprintf("%v: the kernel rejected the id map nook planned; please report this as a nook bug together with your %s line", he, file)
	case strings.Contains(msg, "for target"):
		return fmt.Sprintf("%v: the container's init exited before its id map was written; its own error is the one to look at", he)
	case strings.Contains(msg, "owned by a different user"):
		return fmt.Sprintf("%v: the container's init runs as another user than nook; do not start nook through sudo or a setuid wrapper", he)
	case strings.Contains(msg, "cannot determine your user name"):
		return fmt.Sprintf("%v: your uid has no /etc/passwd entry, which %s needs to look up %s; add one (common in CI containers run with an arbitrary uid)", he, he.Helper, file)
	}
	return fmt.Sprintf("%v: check your %s entry, or remove it to run with a single id", he, file)
}

// helperErrors collects the HelperErrors in err's tree (Apply joins two when
// both helpers fail), newuidmap's first.
func helperErrors(err error) []*HelperError {
	switch e := err.(type) {
	case *HelperError:
		return []*HelperError{e}
	case interface{ Unwrap() []error }:
		var out []*HelperError
		for _, inner := range e.Unwrap() {
			out = append(out, helperErrors(inner)...)
		}
		return out
	case interface{ Unwrap() error }:
		return helperErrors(e.Unwrap())
	}
	return nil
}

// missingHelpers words the "not installed" case, naming every missing helper
// and the file whose entry makes nook need it.
func missingHelpers(failed []*HelperError) string {
	var names, files []string
	for _, he := range failed {
		if !errors.Is(he.Err, ErrHelperNotFound) {
			continue
		}
		names = append(names, he.Helper)
		if he.Helper == "newgidmap" {
			files = append(files, "/etc/subgid")
		} else {
			files = append(files, "/etc/subuid")
		}
	}
	if len(names) == 0 {
		return ""
	}
	entries := "entry"
	if len(files) > 1 {
		entries = "entries"
	}
	return fmt.Sprintf("%s not found: install the uidmap package (apt install uidmap; shadow-utils on Fedora) or remove your %s %s to run with a single id",
		strings.Join(names, " and "), strings.Join(files, " and "), entries)
}

// rangeRefused covers shadow's "uid range [a-b) -> [c-d) not allowed": the
// planned map is not inside what the helper believes the user owns.
func rangeRefused(he *HelperError, file string, ranges []Range) string {
	if len(ranges) == 0 {
		return fmt.Sprintf("%v: you have no entry in %s; add one with `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER`", he, file)
	}
	return fmt.Sprintf("%v: the map nook planned from %s (%s) is not what %s reads; check %s and the `subid:` line of /etc/nsswitch.conf", he, file, formatRanges(ranges), he.Helper, file)
}

// notPrivileged covers a helper that ran without its privilege: the setuid
// bit or file capability is missing, or the kernel ignored it because of
// no_new_privs or a nosuid mount.
func notPrivileged(he *HelperError, path string) string {
	capName := "cap_setuid"
	if he.Helper == "newgidmap" {
		capName = "cap_setgid"
	}
	return fmt.Sprintf("%v: %s must be setuid root or have %s (`sudo chmod u+s %s`), and that is ignored under no_new_privs (e.g. docker --security-opt no-new-privileges) or on a nosuid mount", he, path, capName, path)
}

// formatRanges renders ranges as "100000-165535, 200000-200999" (inclusive).
func formatRanges(ranges []Range) string {
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		parts[i] = fmt.Sprintf("%d-%d", r.Start, uint64(r.Start)+uint64(r.Count)-1)
	}
	return strings.Join(parts, ", ")
}
