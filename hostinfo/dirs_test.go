package hostinfo

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestStateAndStoreDir(t *testing.T) {
	tests := []struct {
		name        string
		e           Env
		state, stor string
	}{
		{"xdg set", Env{UID: 1000, XDGRuntimeDir: "/run/user/1000", XDGDataHome: "/data", Home: "/home/a"},
			"/run/user/1000/nook", "/data/nook"},
		{"xdg unset", Env{UID: 1000, Home: "/home/a"}, "/tmp/nook-1000", "/home/a/.local/share/nook"},
		{"relative xdg ignored", Env{UID: 7, XDGRuntimeDir: "run", XDGDataHome: "data", Home: "/h"},
			"/tmp/nook-7", "/h/.local/share/nook"},
		{"no home", Env{UID: 7}, "/tmp/nook-7", ""},
	}
	for _, tt := range tests {
		if s, d := stateDir(tt.e), storeDir(tt.e); s != tt.state || d != tt.stor {
			t.Errorf("%s: got %q, %q; want %q, %q", tt.name, s, d, tt.state, tt.stor)
		}
	}
}

func TestDirCheck(t *testing.T) {
	base := t.TempDir()
	mine := filepath.Join(base, "mine")
	open := filepath.Join(base, "open")
	file := filepath.Join(base, "file")
	for _, d := range []string{mine, open} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	write(t, file, "")
	uid := os.Getuid()
	tests := []struct {
		name   string
		p      string
		uid    int
		wantOK bool
		value  string // regexp
		fix    string
	}{
		{"exists", mine, uid, true, `^` + mine + ` \(.+, exists\)$`, ""},
		{"will be created", filepath.Join(mine, "a", "nook"), uid, true, `^` + mine + `/a/nook \(.+, will be created\)$`, ""},
		{"not a directory", file, uid, false, `not a directory`, "remove " + file},
		{"someone else's", mine, uid + 1, false, `owned by uid`, "sudo rm -rf " + mine},
		{"writable by others", open, uid, false, `mode 0777`, "chmod go-w " + open},
		{"unknown", "", uid, false, `HOME is not set`, "set HOME or XDG_DATA_HOME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dirCheck("store dir", tt.p, tt.uid, "move it")
			if c.OK != tt.wantOK || c.Fix != tt.fix || !regexp.MustCompile(tt.value).MatchString(c.Value) {
				t.Errorf("got %+v, want ok=%v value~%s fix=%q", c, tt.wantOK, tt.value, tt.fix)
			}
		})
	}
}

func TestDriverCheck(t *testing.T) {
	dir := t.TempDir()
	if c := driverCheck(dir, Check{OK: true}); !c.OK || c.Value != "overlay (chosen on first use)" {
		t.Errorf("unrecorded, overlay works: %+v", c)
	}
	if c := driverCheck(dir, Check{OK: false}); !c.OK || !strings.HasPrefix(c.Value, "copy (chosen on first use") {
		t.Errorf("unrecorded, overlay refused: %+v", c)
	}
	if err := os.WriteFile(filepath.Join(dir, "driver"), []byte("copy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c := driverCheck(dir, Check{OK: true}); c.OK || !strings.Contains(c.Fix, "remove "+filepath.Join(dir, "driver")) {
		t.Errorf("recorded copy: %+v", c)
	}
}
