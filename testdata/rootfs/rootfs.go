// Package rootfs builds the small root filesystem the end-to-end tests and
// benchmarks run containers in: Debian's static busybox, its applets, a
// passwd and group file with a root, an ordinary user and nobody, and the
// test probe at /usr/bin/probe.
package rootfs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Busybox is the static busybox the rootfs is made of (Debian's
// busybox-static package).
const Busybox = "/bin/busybox"

const passwd = `root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const group = `root:x:0:
user:x:1000:
wheel:x:10:user
nobody:x:65534:
`

var dirs = []struct {
	path string
	mode os.FileMode
}{
	{"bin", 0o755},
	{"proc", 0o755},
	{"dev", 0o755},
	{"sys", 0o755},
	{"etc", 0o755},
	{"tmp", 0o777 | os.ModeSticky},
	{"root", 0o700},
	{"home", 0o755},
	{"home/user", 0o755},
	{"var", 0o755},
	{"usr", 0o755},
	{"usr/bin", 0o755},
}

// Build makes the rootfs in dir, creating dir if needed, with probeBinary
// copied to dir/usr/bin/probe. Building again over an earlier result
// refreshes it. Files are owned by the caller; whoever runs containers in
// the rootfs should own it (chown -R), since that user is the container's root.
func Build(dir, probeBinary string) error {
	for _, d := range dirs {
		p := filepath.Join(dir, d.path)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		// Explicitly, since MkdirAll's mode is filtered by the umask.
		if err := os.Chmod(p, d.mode); err != nil {
			return err
		}
	}
	if err := copyFile(Busybox, filepath.Join(dir, "bin/busybox"), 0o755); err != nil {
		return err
	}
	applets, err := Applets()
	if err != nil {
		return err
	}
	for _, name := range applets {
		if name == "busybox" {
			continue
		}
		link := filepath.Join(dir, "bin", name)
		if err := os.Remove(link); err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := os.Symlink("busybox", link); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(dir, "etc/passwd"), passwd); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "etc/group"), group); err != nil {
		return err
	}
	return copyFile(probeBinary, filepath.Join(dir, "usr/bin/probe"), 0o755)
}

// Applets lists the applets of Busybox.
func Applets() ([]string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(Busybox, "--list")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w: %s (install busybox-static)", Busybox, err, strings.TrimSpace(stderr.String()))
	}
	var names []string
	for _, name := range strings.Fields(string(out)) {
		// Defends the symlinks against a listing that is not plain names.
		if strings.ContainsRune(name, '/') || name == "." || name == ".." {
			return nil, fmt.Errorf("%s --list: unexpected applet name %q", Busybox, name)
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s --list: no applets", Busybox)
	}
	return names, nil
}

func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

func copyFile(src, dst string, mode os.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	// Remove first: the old file may be executing (ETXTBSY) or read-only.
	if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", dst, cerr)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return out.Chmod(mode)
}
