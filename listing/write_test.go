package listing_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nook/listing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the output")

func TestWriteGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		cs   []listing.Container
		o    listing.Options
	}{
		{"table", fixtures(), listing.Options{}},
		{"table-no-trunc", fixtures(), listing.Options{NoTrunc: true}},
		{"table-empty", nil, listing.Options{Format: "table"}},
		{"table-custom", fixtures(), listing.Options{Format: `table {{.ID}}\t{{.Names}}\t{{.State}}\t{{.Label "app"}}\t{{upper .Labels}}`}},
		{"table-all-fields", fixtures()[:2], listing.Options{
			Format: `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedAt}}\t{{.RunningFor}}\t{{.Ports}}\t{{.State}}\t{{.Status}}\t{{.Names}}\t{{.Labels}}`}},
		{"template", fixtures(), listing.Options{Format: "{{.ID}} {{.Names}}"}},
		{"template-json", fixtures()[:2], listing.Options{Format: "{{json .}}"}},
		{"quiet", fixtures(), listing.Options{Quiet: true, Format: "{{.Names}}"}},
		{"quiet-no-trunc", fixtures(), listing.Options{Quiet: true, NoTrunc: true}},
		{"json", fixtures(), listing.Options{Format: "json"}},
		{"json-empty", nil, listing.Options{Format: "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Now = now
			var b bytes.Buffer
			if err := listing.Write(&b, tc.cs, tc.o); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestWriteColumnsAlign checks Docker's layout on the default table: each
// column starts where its heading does, at least 10 wide plus 3 spaces.
func TestWriteColumnsAlign(t *testing.T) {
	var b bytes.Buffer
	if err := listing.Write(&b, fixtures(), listing.Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	head := lines[0]
	for _, col := range []string{"IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"} {
		// Columns count runes, as text/tabwriter does ("…" is one).
		at := len([]rune(head[:strings.Index(head, "   "+col)])) + 3
		for _, l := range lines[1:] {
			if r := []rune(l); r[at-1] != ' ' || r[at] == ' ' {
				t.Errorf("column %s does not start at %d in %q", col, at, l)
			}
		}
	}
	if !strings.HasPrefix(head, "CONTAINER ID   IMAGE") {
		t.Errorf("header %q: want Docker's 3-space padding", head)
	}
}

func TestWriteNewestFirst(t *testing.T) {
	var b bytes.Buffer
	if err := listing.Write(&b, fixtures(), listing.Options{Now: now, Format: "{{.Names}}"}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "range\nfresh\nweb\ndb\njob\ngoing\n"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
}

func TestWriteBadFormatPrintsNothing(t *testing.T) {
	for _, format := range []string{"{{.Nope}}", "table {{.ID}}\t{{.Nope}}", "{{.ID",
		// Fails only on real names (none has an "x"), after the check.
		`{{index (split .Names "x") 1}}`} {
		var b bytes.Buffer
		err := listing.Write(&b, fixtures(), listing.Options{Now: now, Format: format})
		if !errors.Is(err, listing.ErrInvalidFormat) {
			t.Errorf("%q: error %v, want ErrInvalidFormat", format, err)
		}
		if b.Len() != 0 {
			t.Errorf("%q: printed %q before failing", format, b.String())
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteReportsWriteError(t *testing.T) {
	err := listing.Write(failingWriter{}, fixtures(), listing.Options{Now: now})
	if err == nil || !strings.Contains(err.Error(), "write container list: broken pipe") {
		t.Errorf("error %v, want the write error with context", err)
	}
}
