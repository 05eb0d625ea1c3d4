package container

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Pipes and /dev/null reach the command as they are; anything the command
// could misuse (a terminal, a file, a socket) is relayed.
func TestPassable(t *testing.T) {
	tests := []struct {
		name string
		open func(t *testing.T) *os.File
		want bool
	}{
		{"pipe", func(t *testing.T) *os.File {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return w
		}, true},
		{"/dev/null", openFile("/dev/null", os.O_WRONLY), true},
		{"/dev/zero", openFile("/dev/zero", os.O_RDONLY), false},
		{"regular file", func(t *testing.T) *os.File {
			return openFile(filepath.Join(t.TempDir(), "out"), os.O_CREATE|os.O_WRONLY)(t)
		}, false},
		{"directory", func(t *testing.T) *os.File { return openFile(t.TempDir(), os.O_RDONLY)(t) }, false},
		{"socket", func(t *testing.T) *os.File {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fds[1]) })
			return closing(t, os.NewFile(uintptr(fds[0]), "socket"))
		}, false},
		{"pty master", openFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY), false},
		{"closed", func(t *testing.T) *os.File {
			f := openFile("/dev/null", os.O_WRONLY)(t)
			f.Close()
			return f
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := passable(tt.open(t)); got != tt.want {
				t.Errorf("passable = %v, want %v", got, tt.want)
			}
		})
	}
}

func openFile(name string, flag int) func(t *testing.T) *os.File {
	return func(t *testing.T) *os.File {
		f, err := os.OpenFile(name, flag, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		return closing(t, f)
	}
}

func closing(t *testing.T, f *os.File) *os.File {
	t.Cleanup(func() { f.Close() })
	return f
}
