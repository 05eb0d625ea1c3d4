package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// A command named first gets a grammar of that command alone; anything
// else the whole one.
func TestGrammarFor(t *testing.T) {
	for _, tt := range []struct {
		args []string
		only string // "" for the whole grammar
	}{
		{[]string{"run", "--rootfs", "r", "true"}, "run"},
		{[]string{"sandbox", "true"}, "sandbox"},
		{[]string{"exec", "c", "true"}, "exec"},
		{[]string{"container", "ls"}, "container"},
		{[]string{"info"}, "info"},
		{nil, ""},
		{[]string{"--help"}, ""},
		{[]string{"nonsense"}, ""},
		// A global flag first: the command is not known without parsing.
		{[]string{"--debug", "run", "true"}, ""},
	} {
		g := grammarFor(tt.args)
		cmds := commandsOf(t, g)
		if tt.only == "" && len(cmds) < 20 || tt.only != "" && !slices.Equal(cmds, []string{tt.only}) {
			t.Errorf("grammarFor(%q) has %q", tt.args, cmds)
		}
	}
}

func commandsOf(t *testing.T, g any) []string {
	t.Helper()
	p, err := kong.New(g, kong.Name("nook"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range p.Model.Children {
		out = append(out, c.Name)
	}
	return out
}

// The cut-down grammars must accept exactly what the full one does, and
// --debug before or after.
func TestGrammarsAgree(t *testing.T) {
	full := flagsOf(t, &grammar{})
	for _, name := range commandsOf(t, &grammar{}) {
		got := flagsOf(t, grammarFor([]string{name}))
		if !slices.Equal(got[name], full[name]) || !slices.Equal(got[""], full[""]) {
			t.Errorf("%s: flags %q, the full grammar's %q", name, got[name], full[name])
		}
	}
	g := grammarFor([]string{"ps"})
	p, _ := kong.New(g, kong.Name("nook"))
	if _, err := p.Parse([]string{"ps", "--debug"}); err != nil || !debugOf(g) {
		t.Errorf("ps --debug: %v, debug %v", err, debugOf(g))
	}
}

// flagsOf lists each command's flags (with their defaults and enums) and
// the global ones under "".
func flagsOf(t *testing.T, g any) map[string][]string {
	t.Helper()
	p, err := kong.New(g, kong.Name("nook"))
	if err != nil {
		t.Fatal(err)
	}
	describe := func(flags []*kong.Flag) []string {
		var out []string
		for _, f := range flags {
			out = append(out, fmt.Sprintf("--%s short=%q default=%q enum=%q required=%v", f.Name, f.Short, f.Default, f.Enum, f.Required))
		}
		return out
	}
	m := map[string][]string{"": describe(p.Model.Flags)}
	for _, c := range p.Model.Children {
		m[c.Name] = describe(c.Flags)
	}
	return m
}

func TestUsageError(t *testing.T) {
	rootfs := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"run", []string{"run", "--bogus"}, "unknown flag --bogus (see 'nook run --help')"},
		{"sandbox", []string{"sandbox", "--bogus"}, "unknown flag --bogus (see 'nook sandbox --help')"},
		{"no command", []string{"xyzzy"}, "unexpected argument xyzzy (see 'nook --help')"},
		{"global flag first", []string{"--debug", "run", "--bogus"}, "unknown flag --bogus (see 'nook run --help')"},
		{"missing argument", []string{"pull"}, `expected "<image>" (see 'nook pull --help')`},
		{"missing input", []string{"load"}, "missing flags: --input=FILE (see 'nook load --help')"},
		{"bad enum", []string{"run", "--rootfs", rootfs, "--pull", "sometimes", "true"},
			`--pull must be one of "missing","always","never" but got "sometimes" (see 'nook run --help')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := kong.New(grammarFor(tt.args), kong.Name("nook"), kong.Exit(func(int) { t.Fatal("kong exited") }))
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Parse(tt.args)
			if err == nil {
				t.Fatal("parsed")
			}
			if got := usageError(err, tt.args); got != tt.want {
				t.Errorf("usageError = %q, want %q", got, tt.want)
			}
		})
	}
	if got, want := usageError(errors.New("boom"), nil), "boom (see 'nook --help')"; got != want {
		t.Errorf("usageError of a plain error = %q, want %q", got, want)
	}
}

// Usage errors exit with 2 and print one line; none of these starts a
// container.
func TestMainUsageStatus(t *testing.T) {
	rootfs := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string // on stderr
	}{
		{"run", []string{"run", "--bogus"}, "nook: unknown flag --bogus (see 'nook run --help')\n"},
		{"sandbox", []string{"sandbox", "--bogus"}, "nook: unknown flag --bogus (see 'nook sandbox --help')\n"},
		{"no command", []string{"xyzzy"}, "nook: unexpected argument xyzzy (see 'nook --help')\n"},
		{"missing rootfs", []string{"run", "--rootfs", filepath.Join(rootfs, "missing"), "--", "true"}, "nook: --rootfs: stat "},
		{"run without a command after --", []string{"run", "--rootfs", rootfs, "--"}, "nook: no command given\n"},
		{"sandbox without a command after --", []string{"sandbox", "--"}, "nook: no command given\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			stderr := captureStderr(t, func() { code = Main(tt.args) })
			if code != exitUsage {
				t.Errorf("status %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if !strings.HasPrefix(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", stderr, tt.want)
			}
		})
	}
}

// captureStderr runs fn with os.Stderr sent to a file, which Main writes to.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = saved }()
	fn()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVolumeSourceError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"missing", &fs.PathError{Op: "stat", Path: "/src", Err: fs.ErrNotExist},
			"volume source /src does not exist: create it first or fix the path"},
		{"unreachable", &fs.PathError{Op: "stat", Path: "/src", Err: fs.ErrPermission},
			"volume source /src cannot be reached (permission denied): nook runs with your permissions, so you need search (x) permission on every directory above it"},
		{"other", &fs.PathError{Op: "stat", Path: "/src", Err: errors.New("input/output error")},
			"volume source /src: input/output error"},
	}
	for _, tt := range tests {
		if got := volumeSourceError("/src", tt.err).Error(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestExisting(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("here", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", "dangling"); err != nil {
		t.Fatal(err)
	}
	got, err := existing("--rw", []string{"here", dir, "dangling"})
	if want := []string{dir + "/here", dir, dir + "/dangling"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("existing = %q, %v; want %q", got, err, want)
	}
	_, err = existing("--ro", []string{"here", "gone"})
	if want := "--ro gone: no such file or directory on the host"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
