package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Every entry of tmp/ is flocked by the process working on it, for as long
// as it works on it: a file through its own descriptor, a directory
// through the file "lock" inside it. That is how Open tells a live
// writer's entry (however old: a slow download) from what a killed one
// left: it removes only entries it can lock itself, and only once they are
// older than the grace period, which covers the instant between creating
// an entry and locking it.
//
// A directory is a wrapper that only the store touches, so its lock file
// is always there to open whatever the unpacked tree inside does to its
// own modes and times. Owners lock exclusively on a read-write
// descriptor and Open probes with a shared lock on a read-only one: the
// combination that conflicts on NFS too, where flock is emulated with
// fcntl locks.

const lockName = "lock"

// createTemp creates and locks a new file under tmp/.
func (s *Store) createTemp(prefix string) (*os.File, error) {
	f, err := os.CreateTemp(s.tmpDir(), prefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", s.tmpDir(), err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return f, nil
}

// heldDir is a wrapper directory under tmp/ and the open, locked file that
// marks it live.
type heldDir struct {
	path string
	lock *os.File
}

func (s *Store) newHeldDir(prefix string) (heldDir, error) {
	w, err := os.MkdirTemp(s.tmpDir(), prefix)
	if err != nil {
		return heldDir{}, fmt.Errorf("create temporary directory in %s: %w", s.tmpDir(), err)
	}
	p := filepath.Join(w, lockName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		if err = flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
		}
	}
	if err != nil {
		os.RemoveAll(w)
		return heldDir{}, fmt.Errorf("lock %s: %w", p, err)
	}
	return heldDir{path: w, lock: f}, nil
}

// release removes the lock file and, if nothing else is left in it, the
// wrapper, then drops the lock. Anything left (a Remover failed) is no
// longer held, for a later Open to remove.
func (h heldDir) release() {
	os.Remove(filepath.Join(h.path, lockName))
	os.Remove(h.path)
	h.lock.Close()
}

// TempDir creates an empty directory under tmp/, on the store's filesystem,
// for layer.Unpack; hand it to CommitLayer, or to RemoveTemp if the unpack
// failed. Until then this Store holds it (Close or exit releases it).
func (s *Store) TempDir() (string, error) {
	h, err := s.newHeldDir("layer-")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(h.path, "root")
	// It becomes the layer's root directory, which keeps this mode unless
	// the layer has a "./" entry (many have none): 0755 as every image
	// tool gives it, whatever the umask, since 0700 would lock the
	// container's other users out of "/". The store root's own 0700
	// still keeps other host users out.
	err = os.Mkdir(dir, 0o755)
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		h.release()
		return "", fmt.Errorf("create temporary directory %s: %w", dir, err)
	}
	s.mu.Lock()
	s.temps[dir] = h
	s.mu.Unlock()
	return dir, nil
}

// RemoveTemp removes a directory from TempDir with the Remover.
func (s *Store) RemoveTemp(dir string) error {
	defer s.releaseTemp(dir)
	if err := s.Remover(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// releaseTemp drops a directory from TempDir once it was committed or
// removed.
func (s *Store) releaseTemp(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.temps[dir]; ok {
		h.release()
		delete(s.temps, dir)
	}
}

// cleanTmp removes what interrupted writers left under tmp/: partial blobs,
// half-unpacked layers, layers Prune had moved there to delete. Failures
// are notes, not errors: the store is usable with litter in tmp/, and the
// next Open tries again.
func (s *Store) cleanTmp(now time.Time) {
	dir := s.tmpDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.note("image store: cannot list %s: %v", dir, err)
		return
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		st, err := os.Lstat(path)
		if err != nil || now.Sub(st.ModTime()) < s.grace {
			continue
		}
		release, held := tryLock(path, st.IsDir())
		if held {
			continue
		}
		if st.IsDir() {
			err = s.Remover(path)
		} else {
			err = os.Remove(path)
		}
		release()
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			s.note("image store: cannot remove leftover %s: %v", path, err)
		}
	}
}

// tryLock takes the lock of a tmp/ entry without waiting; held reports
// that a live process has it. An entry without a lock to take (a directory
// whose lock file was never created or already removed) is not held. A
// lock that fails for another reason counts as held: better litter than
// a live download deleted.
func tryLock(path string, dir bool) (release func(), held bool) {
	if dir {
		path = filepath.Join(path, lockName)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return func() {}, false
	}
	if err := flock(f, unix.LOCK_SH|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, true
	}
	return func() { f.Close() }, false
}
