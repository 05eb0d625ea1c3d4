package listing

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Options are ps's output flags.
type Options struct {
	Quiet   bool // IDs only; wins over Format, as Docker's -q does
	NoTrunc bool // full IDs, commands and image references
	// Format is "" or "table" (Docker's columns), "json" (see psJSON),
	// "table TEMPLATE" (a header line, then aligned rows) or a Go
	// template printed once per container.
	Format string
	Now    time.Time // what ages are measured from; zero means time.Now()
}

// Write prints cs, newest first, as `nook ps` does. A bad Format is an
// error wrapping ErrInvalidFormat, and then nothing is printed.
func Write(w io.Writer, cs []Container, o Options) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	cs = slices.Clone(cs)
	sortNewestFirst(cs)
	out, err := render(cs, o)
	if err != nil {
		return err
	}
	// One write: a broken pipe or full disk is reported once, not per line.
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write container list: %w", err)
	}
	return nil
}

func render(cs []Container, o Options) ([]byte, error) {
	switch {
	case o.Quiet:
		return quiet(cs, o.NoTrunc), nil
	case o.Format == "json":
		return writeJSON(cs, o.Now)
	}
	f, err := parseFormat(o.Format)
	if err != nil {
		return nil, err
	}
	return f.render(cs, o.Now, o.NoTrunc)
}

func quiet(cs []Container, noTrunc bool) []byte {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(row{c: c, noTrunc: noTrunc}.ID() + "\n")
	}
	return []byte(b.String())
}
