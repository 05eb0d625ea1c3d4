package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// RemoveAll is the default Remover: os.RemoveAll, and where that is refused
// because an image made directories read-only (Fedora's "/" is 0555), it
// makes the directories it owns writable and tries again. That covers
// layers unpacked without subordinate ids (every file the caller's); files
// of other ids need the removal inside the user namespace.
func RemoveAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	// WalkDir calls us for a directory before reading it, so opening it
	// up first lets the walk descend. Symlinks are not followed, and only
	// directories are touched.
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(path, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// renameDir is install for a directory. Moving a directory to another
// parent rewrites its ".." entry, which needs write permission on the
// directory itself; a layer whose root is read-only gets it for the
// moment of the move.
func renameDir(old, new string) (bool, error) {
	st, err := os.Lstat(old)
	if err != nil {
		return false, err
	}
	if st.Mode().Perm()&0o200 != 0 {
		return install(old, new)
	}
	if err := os.Chmod(old, st.Mode()|0o200); err != nil {
		return false, fmt.Errorf("make %s writable to move it: %w", old, err)
	}
	moved, err := install(old, new)
	at := old
	if moved {
		at = new
	}
	if cerr := os.Chmod(at, st.Mode()); err == nil && cerr != nil {
		err = fmt.Errorf("restore mode of %s: %w", at, cerr)
	}
	return moved, err
}
