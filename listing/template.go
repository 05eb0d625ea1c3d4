package listing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
)

// ErrInvalidFormat is what every --format error wraps.
var ErrInvalidFormat = errors.New("invalid --format")

// defaultTable is Docker's `docker ps` table.
const defaultTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

// format is a parsed Go-template --format.
type format struct {
	source string
	tmpl   *template.Template
	table  bool // a header line first, columns aligned
}

// CheckFormat reports whether Write would accept s as Options.Format, so
// that a command can refuse a bad --format before it looks for containers.
func CheckFormat(s string) error {
	if s == "json" {
		return nil
	}
	_, err := parseFormat(s)
	return err
}

// parseFormat parses s as Docker does: "table" alone is the default table,
// a "table" prefix asks for a header and aligned columns, and the two
// characters `\t` and `\n` (as typed in a shell) are a tab and a newline.
func parseFormat(s string) (*format, error) {
	f := &format{source: s}
	text := s
	if text == "" || text == "table" {
		text = defaultTable
	}
	text, f.table = strings.CutPrefix(text, "table")
	text = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(strings.Trim(text, " "))
	tmpl, err := template.New("format").Funcs(rowFuncs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidFormat, s, err)
	}
	f.tmpl = tmpl
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// fieldError is how text/template says a field does not exist.
var fieldError = regexp.MustCompile(`can't evaluate field (\w+)`)

// check runs the template once on a made-up container, so that an unknown
// field is an error before anything is printed, even when there is no
// container to list. Only errors that do not depend on the data count
// here: `{{index (split .Names "-") 1}}` may fail on the sample and be
// right for every real name.
func (f *format) check() error {
	err := f.tmpl.Execute(io.Discard, sampleRow)
	if err == nil {
		return nil
	}
	if m := fieldError.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%w %q: unknown field .%s; the fields are %s", ErrInvalidFormat, f.source, m[1], fieldNames)
	}
	for _, sign := range typeErrors {
		if strings.Contains(err.Error(), sign) {
			return fmt.Errorf("%w %q: %w", ErrInvalidFormat, f.source, err)
		}
	}
	return nil
}

// typeErrors are the parts of text/template's messages for a template
// that calls something with arguments of the wrong number or type, or
// ranges over a field (all are strings): wrong for every container.
var typeErrors = []string{"wrong number of args", "wrong type for value", "can't give argument to non-function",
	"; found ", "can't handle ", "can't iterate over"}

var sampleRow = row{c: Container{
	ID: strings.Repeat("0123456789abcdef", 4), Name: "sample", Image: "sample:latest", Command: []string{"sh"},
	State: StateRunning, Labels: map[string]string{"sample": "sample"},
}, now: time.Unix(0, 0)}

// render prints one line per container, after a header for a table. The
// lines are made in memory first, so a template that fails on some
// container prints nothing at all.
func (f *format) render(cs []Container, now time.Time, noTrunc bool) ([]byte, error) {
	var rows bytes.Buffer
	for _, c := range cs {
		if err := f.tmpl.Execute(&rows, row{c, now, noTrunc}); err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrInvalidFormat, f.source, err)
		}
		rows.WriteByte('\n')
	}
	if !f.table {
		return rows.Bytes(), nil
	}
	var out bytes.Buffer
	// Docker's tabwriter settings: at least 10 columns a cell, 3 spaces between.
	tw := tabwriter.NewWriter(&out, 10, 1, 3, ' ', 0)
	// Writes into a bytes.Buffer cannot fail.
	_, _ = tw.Write(append(f.header(), rows.Bytes()...))
	_ = tw.Flush()
	return out.Bytes(), nil
}

// header is the table's first line. Like Docker, a template that fails on
// the header (`{{json .}}` names no column) gets what it printed so far.
func (f *format) header() []byte {
	var b bytes.Buffer
	tmpl, err := f.tmpl.Clone()
	if err == nil {
		_ = tmpl.Funcs(headerFuncs).Execute(&b, header{})
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// rowFuncs are Docker's template functions, less title.
var rowFuncs = template.FuncMap{
	"json":     toJSON,
	"join":     strings.Join,
	"split":    strings.Split,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      pad,
	"truncate": truncate,
}

// headerFuncs leave a column's name as it is: `{{upper .Names}}` is
// headed NAMES, `{{split .Labels ","}}` LABELS. pad stays, to keep the
// header over its column.
var headerFuncs = template.FuncMap{"json": keep, "join": keep, "split": keep, "lower": keep, "upper": keep, "truncate": keep}

func keep(v string, _ ...any) string { return v }

// toJSON keeps "&", "<" and ">" as they are: the output is for a
// terminal or jq, not HTML.
func toJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// pad surrounds a value with spaces, and leaves an empty one empty so that
// `{{pad .Ports 1 0}}` adds nothing for a container without ports.
func pad(s string, before, after int) string {
	if s == "" {
		return s
	}
	return strings.Repeat(" ", max(before, 0)) + s + strings.Repeat(" ", max(after, 0))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if n < 0 || len(r) <= n {
		return s
	}
	return string(r[:n])
}
