package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// ErrBusy is wrapped by errors for a lock that was not free and the caller
// asked not to wait.
var ErrBusy = errors.New("busy")

// Lock takes the store's exclusive lock for metadata changes. Tag, Untag,
// PutImage, RemoveImage and Prune take it themselves, so calling them while
// holding it deadlocks (flock is per open file, not per process); hold it
// only around reads that must see one consistent state. Lock order: Hold
// before Lock, never the reverse (Prune takes them in that order).
func (s *Store) Lock() (unlock func(), err error) {
	return lockFile(filepath.Join(s.Root, "lock"), unix.LOCK_EX, false)
}

// Hold takes a shared lock that keeps Prune from collecting anything while
// it is held. A pull holds it from before its first HasBlob until its
// PutImage is done, and `run` from resolving the image until its layers
// are mounted (after that, Prune's InUse must report them): without it,
// Prune could remove a blob or layer that is present but not yet listed by
// any image. A process holding it must not call Prune itself (it would
// wait for its own Hold).
func (s *Store) Hold() (release func(), err error) {
	return lockFile(filepath.Join(s.lockDir(), "hold"), unix.LOCK_SH, false)
}

// holdExclusive is Prune's side of Hold.
func (s *Store) holdExclusive(wait bool) (func(), error) {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	return lockFile(filepath.Join(s.lockDir(), "hold"), how, false)
}

// LockDigest serializes the download of one blob across processes: take it,
// check HasBlob, write only if still missing (EnsureBlob does exactly
// that). Blob and layer locks are separate (LockLayer), since an
// uncompressed base layer's blob digest equals its chain ID.
func (s *Store) LockDigest(d Digest) (unlock func(), err error) {
	if !d.Valid() {
		return nil, fmt.Errorf("lock blob: invalid digest %q", d)
	}
	return lockFile(filepath.Join(s.lockDir(), d.Hex()), unix.LOCK_EX, true)
}

// LockLayer serializes the unpacking of one layer across processes, so that
// concurrent pulls unpack it once: take it, check HasLayer, unpack and
// CommitLayer only if still missing. Optional: CommitLayer is safe without.
func (s *Store) LockLayer(chain Digest) (unlock func(), err error) {
	if !chain.Valid() {
		return nil, fmt.Errorf("lock layer: invalid chain ID %q", chain)
	}
	return lockFile(filepath.Join(s.lockDir(), "layer-"+chain.Hex()), unix.LOCK_EX, true)
}

// LockPath takes an exclusive flock of path, creating it, and waits for
// another holder; the function it returns releases it.
func LockPath(path string) (func(), error) { return lockFile(path, unix.LOCK_EX, false) }

// lockFile flocks path, creating it. A removable lock file is deleted by its
// holder on unlock, so locks/ does not keep one file per blob ever pulled;
// whoever was waiting on the deleted file then finds that the path no
// longer names the file it locked, and starts over on the new one.
func lockFile(path string, how int, removable bool) (func(), error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := flock(f, how); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, fmt.Errorf("lock %s: %w", path, ErrBusy)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		same, err := sameFile(f, path)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !same {
			f.Close()
			continue
		}
		var once sync.Once
		return func() {
			once.Do(func() {
				if removable {
					_ = os.Remove(path)
				}
				f.Close()
			})
		}, nil
	}
}

// sameFile reports whether path still names the file f has open.
func sameFile(f *os.File, path string) (bool, error) {
	var a, b unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &a); err != nil {
		return false, err
	}
	if err := unix.Stat(path, &b); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, err
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}
