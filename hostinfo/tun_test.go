package hostinfo

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

func TestTunFix(t *testing.T) {
	const p = "/dev/net/tun"
	wrap := func(errno syscall.Errno) error { return &fs.PathError{Op: "open", Path: p, Err: errno} }
	tests := []struct {
		err  error
		want string
	}{
		{wrap(syscall.ENOENT), "sudo modprobe tun (in a container: run it with --device /dev/net/tun)"},
		{wrap(syscall.ENODEV), "sudo modprobe tun (in a container: run it with --device /dev/net/tun)"},
		{wrap(syscall.EACCES), "sudo chmod 0666 /dev/net/tun"},
		{wrap(syscall.EPERM), "in a container: run it with --device /dev/net/tun"},
		{wrap(syscall.EIO), "check /dev/net/tun is the tun character device (10, 200)"},
	}
	for _, tt := range tests {
		if got := tunFix(p, tt.err); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestTunCheck(t *testing.T) {
	dev := t.TempDir()
	if c := tunCheck(dev); c.OK || c.Fix == "" {
		t.Errorf("missing: %+v", c)
	}
	write(t, filepath.Join(dev, "net", "tun"), "")
	if c := tunCheck(dev); !c.OK || c.Value != "ok" {
		t.Errorf("present: %+v", c)
	}
}
