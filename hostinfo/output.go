package hostinfo

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText prints one aligned line per check, the fix after an arrow:
//
//	user namespaces   ok
//	subordinate uids  none  → fix: sudo usermod ...
func (r Report) WriteText(w io.Writer) error {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-*s  %s", width, c.Name, oneLine(c.Value))
		if c.Fix != "" {
			b.WriteString("  → fix: " + oneLine(c.Fix))
		}
		b.WriteByte('\n')
	}
	// One write: a broken pipe or full disk is reported once, not per line.
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteJSON writes the report indented, keeping "&", "<" and ">" in fixes
// readable (they are shell commands, not HTML).
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// oneLine keeps a kernel or wrapped error from breaking the column layout.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
