package hostinfo

import (
	"path/filepath"
	"testing"
)

func TestKernelAtLeast(t *testing.T) {
	tests := []struct {
		release string
		want    bool
	}{
		{"6.1.0-18-amd64", true},
		{"5.11.0", true},
		{"5.10.209-rt", false},
		{"4.18.0-513.el8.x86_64", false},
		{"6.18.44-fc-v857", true},
		{"garbage", true},
	}
	for _, tt := range tests {
		if got := kernelAtLeast(tt.release, 5, 11); got != tt.want {
			t.Errorf("kernelAtLeast(%q) = %v, want %v", tt.release, got, tt.want)
		}
	}
	if kernelRelease() == "" {
		t.Error("empty kernel release")
	}
}

func TestReadOSRelease(t *testing.T) {
	etc := t.TempDir()
	write(t, filepath.Join(etc, "os-release"),
		"# comment\nNAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nPRETTY_NAME='Rocky Linux 9.3 (Blue Onyx)'\n")
	o := readOSRelease(etc)
	if o.pretty() != "Rocky Linux 9.3 (Blue Onyx)" || !o.is("fedora") || o.is("debian") || o.is("cent") {
		t.Errorf("got %+v", o)
	}
	if got := readOSRelease(t.TempDir()).pretty(); got != "unknown" {
		t.Errorf("missing file: %q", got)
	}
	if got := (osRelease{id: "alpine"}).pretty(); got != "alpine" {
		t.Errorf("id only: %q", got)
	}
}
