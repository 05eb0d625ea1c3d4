package listing_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"nook/listing"
)

func render(t *testing.T, format string, cs []listing.Container) string {
	t.Helper()
	var b bytes.Buffer
	if err := listing.Write(&b, cs, listing.Options{Now: now, Format: format}); err != nil {
		t.Fatalf("format %q: %v", format, err)
	}
	return b.String()
}

func TestTemplates(t *testing.T) {
	web := fixtures()[1]
	for _, tc := range []struct {
		format, want string
	}{
		{"{{.ID}} {{.Names}}", "aaaaaaaaaaaa web\n"},
		{`{{.Names}}\t{{.State}}`, "web\trunning\n"},
		{`{{.Label "tier"}}|{{.Label "missing"}}`, "front|\n"},
		{"{{.Labels}}", "app=web,tier=front\n"},
		{"{{.CreatedAt}}", "2026-03-01 11:57:00 +0000 UTC\n"},
		{"{{.RunningFor}} / {{.Status}}", "3 minutes ago / Up 2 minutes\n"},
		{"{{json .Names}}", `"web"` + "\n"},
		{"{{json .Ports}}", `"0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 127.0.0.1:8443->443/tcp"` + "\n"},
		{`{{join (split .Labels ",") ";"}}`, "app=web;tier=front\n"},
		{"{{upper .Names}} {{lower .State}}", "WEB running\n"},
		{"{{truncate .Image 5}}[{{pad .Names 1 2}}]", "nginx[ web  ]\n"},
		{`{{if eq .State "running"}}up{{end}}`, "up\n"},
		{"  {{.Names}}  ", "web\n"},
		{"table {{.Names}}", "NAMES\nweb\n"},
		{`table {{.ID}}\t{{.Names}}`, "CONTAINER ID   NAMES\naaaaaaaaaaaa   web\n"},
		{`table {{upper .Names}}\t{{json .State}}`, "NAMES     STATE\nWEB       \"running\"\n"},
		{`table {{.Label "app"}}\t{{.Labels}}`, "APP       LABELS\nweb       app=web,tier=front\n"},
		{`table {{.CreatedAt}}\t{{.RunningFor}}\t{{.Ports}}`,
			"CREATED AT                      CREATED         PORTS\n" +
				"2026-03-01 11:57:00 +0000 UTC   3 minutes ago   0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 127.0.0.1:8443->443/tcp\n"},
		{"table", render(t, "", []listing.Container{web})},
	} {
		if got := render(t, tc.format, []listing.Container{web}); got != tc.want {
			t.Errorf("format %q:\n got %q\nwant %q", tc.format, got, tc.want)
		}
	}
}

func TestTemplateErrors(t *testing.T) {
	for _, tc := range []struct {
		format, want string
	}{
		{"{{.Nope}}", `invalid --format "{{.Nope}}": unknown field .Nope; the fields are .ID .Image .Command .CreatedAt ` +
			`.RunningFor .Ports .State .Status .Names .Labels .Label "KEY"`},
		{`table {{.ID}}\t{{.Size}}`, `unknown field .Size;`},
		{"{{.ID.Short}}", "unknown field .Short;"},
		{"{{if .Nope}}x{{end}}", "unknown field .Nope;"},
		{"{{.ID", `invalid --format "{{.ID": template: format:1: unclosed action`},
		{"{{nope .ID}}", `function "nope" not defined`},
		{"{{.Label}}", "wrong number of args for Label: want 1 got 0"},
		{`{{.Names "x"}}`, "wrong number of args for Names"},
		{`{{join .Names ","}}`, "wrong type for value; expected []string; got string"},
		{`{{truncate .Names "x"}}`, "expected integer; found"},
		{`{{range .Labels}}{{.}}{{end}}`, "range can't iterate over"},
	} {
		// No container: the errors must not depend on there being one.
		err := listing.Write(&bytes.Buffer{}, nil, listing.Options{Now: now, Format: tc.format})
		if err == nil {
			t.Errorf("format %q: no error", tc.format)
			continue
		}
		if !errors.Is(err, listing.ErrInvalidFormat) || !strings.Contains(err.Error(), tc.want) ||
			strings.Contains(err.Error(), "\n") {
			t.Errorf("format %q: error\n %v\nwant one line wrapping ErrInvalidFormat with\n %s", tc.format, err, tc.want)
		}
		if cerr := listing.CheckFormat(tc.format); cerr == nil || cerr.Error() != err.Error() {
			t.Errorf("CheckFormat(%q) = %v, want %v", tc.format, cerr, err)
		}
	}
}

func TestCheckFormatAccepts(t *testing.T) {
	for _, f := range []string{"", "table", "json", "{{json .}}", `table {{.ID}}\t{{.Names}}`,
		`{{index (split .Names "-") 1}}`, `{{range split .Labels ","}}{{.}};{{end}}`} {
		if err := listing.CheckFormat(f); err != nil {
			t.Errorf("CheckFormat(%q): %v", f, err)
		}
	}
}
