package nsinit

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDefaultEnv(t *testing.T) {
	root := user{Home: "/root"}
	tests := []struct {
		name     string
		env      []string
		hostname string
		tty      bool
		want     []string
	}{
		{
			name: "nothing set", hostname: "h",
			want: []string{"PATH=" + defaultPath, "HOSTNAME=h", "HOME=/root"},
		},
		{
			name: "what is set is kept", env: []string{"HOME=/w", "PATH=/bin", "HOSTNAME=mine", "TERM=vt100"}, hostname: "h", tty: true,
			want: []string{"HOME=/w", "PATH=/bin", "HOSTNAME=mine", "TERM=vt100"},
		},
		{
			name: "no hostname: no HOSTNAME",
			want: []string{"PATH=" + defaultPath, "HOME=/root"},
		},
		{
			name: "a terminal gets TERM", tty: true,
			want: []string{"PATH=" + defaultPath, "HOME=/root", "TERM=xterm"},
		},
		{
			name: "only the whole name counts", env: []string{"PATHEXT=x", "HOMER=y"},
			want: []string{"PATHEXT=x", "HOMER=y", "PATH=" + defaultPath, "HOME=/root"},
		},
		{
			name: "an empty value is set", env: []string{"HOME="},
			want: []string{"HOME=", "PATH=" + defaultPath},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultEnv(slices.Clone(tt.env), root, tt.hostname, tt.tty); !slices.Equal(got, tt.want) {
				t.Errorf("defaultEnv = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	bin, other := filepath.Join(dir, "bin"), filepath.Join(dir, "other")
	for _, f := range []struct {
		path string
		mode os.FileMode // 0: a directory
	}{
		{"bin/tool", 0o755},
		{"bin/plain", 0o644},
		{"bin/both", 0o644},
		{"other/both", 0o755},
		{"bin/sub", 0},
	} {
		p := filepath.Join(dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if f.mode == 0 {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	path := "PATH=" + bin + ":" + other
	tests := []struct {
		name     string
		cmd      string
		env      []string
		want     string
		wantCode int
		wantErr  string
	}{
		{name: "found", cmd: "tool", env: []string{path}, want: bin + "/tool"},
		{name: "the last PATH counts", cmd: "tool", env: []string{"PATH=/nonexistent", path}, want: bin + "/tool"},
		{name: "an executable later in PATH wins", cmd: "both", env: []string{path}, want: other + "/both"},
		{
			name: "not found", cmd: "nosuch", env: []string{path},
			wantCode: codeNotFound, wantErr: `"nosuch": executable file not found in $PATH`,
		},
		{
			name: "no PATH: Docker's default", cmd: "nook-test-no-such-command",
			wantCode: codeNotFound, wantErr: `"nook-test-no-such-command": executable file not found in $PATH`,
		},
		{
			name: "not executable", cmd: "plain", env: []string{path},
			wantCode: codeCannotExec, wantErr: bin + "/plain: permission denied",
		},
		{
			name: "a directory", cmd: "sub", env: []string{path},
			wantCode: codeCannotExec, wantErr: bin + "/sub: is a directory",
		},
		{name: "explicit path", cmd: bin + "/tool", want: bin + "/tool"},
		{name: "explicit path ignores PATH", cmd: bin + "/tool", env: []string{"PATH=/nonexistent"}, want: bin + "/tool"},
		{
			name: "explicit path missing", cmd: bin + "/nosuch", env: []string{path},
			wantCode: codeNotFound, wantErr: bin + "/nosuch: no such file or directory",
		},
		{
			name: "explicit path not executable", cmd: bin + "/plain",
			wantCode: codeCannotExec, wantErr: bin + "/plain: permission denied",
		},
		{
			name: "explicit path a directory", cmd: bin + "/sub",
			wantCode: codeCannotExec, wantErr: bin + "/sub: is a directory",
		},
		{
			name: "explicit path through a file", cmd: bin + "/tool/x",
			wantCode: codeCannotExec, wantErr: bin + "/tool/x: not a directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.cmd, tt.env)
			if tt.wantErr != "" {
				var ce *codeError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &ce) || ce.code != tt.wantCode {
					t.Fatalf("lookPath = %q, %v; want error %q with status %d", got, err, tt.wantErr, tt.wantCode)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("lookPath = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
