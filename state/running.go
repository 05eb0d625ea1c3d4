package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Running is one container that is running now.
type Running struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Command string    `json:"command"`
	Pid     int       `json:"pid"`    // the container's PID 1, as the host sees it
	Cgroup  string    `json:"cgroup"` // the container's cgroup directory
	Created time.Time `json:"created"`
}

func runningDir(root string) string { return filepath.Join(root, "running") }

// Register records r under root (normally Dir()) and returns the function
// that removes the record again.
func Register(root string, r Running) (func(), error) {
	return record(root, runningDir(root), r.ID, r)
}

// record writes v as dir/id.json atomically (root is checked to be the
// caller's own first) and returns the function that removes it.
func record(root, dir, id string, v any) (func(), error) {
	if err := ensure(root); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, id+".json")
	if err := WriteAtomic(path, b); err != nil {
		return nil, err
	}
	return func() { _ = os.Remove(path) }, nil
}

// WriteAtomic replaces path with b: written under a temporary name in the
// same directory, then renamed, so a reader sees the old file or the new.
func WriteAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// List returns the running containers under root, oldest first. Records
// whose process is gone (nook was SIGKILLed) are dropped and removed.
func List(root string) ([]Running, error) {
	out, err := listAlive(runningDir(root), func(r Running) int { return r.Pid })
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// listAlive reads every record in dir, dropping and removing those whose
// process (pid) is gone or that cannot be read.
func listAlive[T any](dir string, pid func(T) int) ([]T, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var out []T
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		v, err := readRecord[T](path)
		if err != nil || !alive(pid(v)) {
			_ = os.Remove(path)
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

func readRecord[T any](path string) (T, error) {
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(b, &v)
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
