package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// syncDir makes a rename or unlink in dir durable: without it a crash can
// lose the new name even though the file's data was synced.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// install renames old to new unless new exists, and reports whether it did.
// Content under a digest is never replaced (a reader may have it open, and
// the first copy was verified as well as the second), so losing the race
// is success: the caller removes old. renameat2(RENAME_NOREPLACE) decides
// atomically; filesystems without it get a check first, where the rare
// lost race replaces identical content.
func install(old, new string) (bool, error) {
	err := unix.Renameat2(unix.AT_FDCWD, old, unix.AT_FDCWD, new, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EEXIST):
		return false, nil
	case !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS):
		return false, fmt.Errorf("rename %s to %s: %w", old, new, err)
	}
	if _, err := os.Lstat(new); err == nil {
		return false, nil
	}
	if err := os.Rename(old, new); err != nil {
		// A directory onto a non-empty one: another process got there.
		if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
			return false, nil
		}
		return false, fmt.Errorf("rename %s to %s: %w", old, new, err)
	}
	return true, nil
}

// writeJSON replaces path with v's encoding, atomically: a reader sees the
// old file or the new one, never part of one, and after a crash one of the
// two is there.
func (s *Store) writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	b = append(b, '\n')
	f, err := s.createTemp("meta-")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	f.Close() // after Sync, close has nothing left to report
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// readJSON decodes path into v; a missing file wraps ErrNotFound.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}
