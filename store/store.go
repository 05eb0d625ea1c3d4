// Package store is nook's on-disk image store: verified blobs by digest,
// layers unpacked once each and shared by every image that uses them, image
// records and the names that point at them.
//
// Layout under Root (every directory 0700):
//
//	blobs/sha256/<hex>     manifests, configs, compressed layers, verified
//	layers/<chain>/        an unpacked layer (an overlay lower directory)
//	layers/<chain>.json    its LayerMeta, written after the directory: the
//	                       commit marker
//	images/<hex>.json      an Image, named by its manifest digest
//	refs.json              name → manifest digest
//	tmp/                   everything before it is renamed into place
//	lock                   Lock: metadata changes
//	locks/hold             Hold: content being added or about to be used
//	locks/<hex>            LockDigest; locks/layer-<chain>: LockLayer
//
// Nothing becomes visible under its final name until it is complete and
// checked, and nothing is rewritten in place: files are written under tmp/,
// synced and renamed. A process killed at any point leaves at worst
// something under tmp/, which a later Open removes, so no repair step is
// ever needed before reading.
//
// Concurrency between processes rests on flock(2) only (released by the
// kernel when a process dies, so a SIGKILL never leaves a stale lock).
// Layers are reference-counted by the image records themselves: a layer is
// in use while an image lists its chain ID, so there is no counter to drift.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// ErrNotFound is wrapped by errors for a blob, layer, image or name the
// store does not have.
var ErrNotFound = errors.New("not found")

// Store is an open image store. Its methods are safe for concurrent use by
// goroutines and by other processes using the same Root.
type Store struct {
	Root string
	// Remover deletes a directory tree: an unpacked layer, or a temporary
	// directory one was unpacked into. Their files belong to the
	// container's subordinate ids, which the host user cannot always
	// delete, so nook sets this to a removal run inside the user
	// namespace. Default RemoveAll.
	Remover func(dir string) error

	notes func(string)
	grace time.Duration

	mu    sync.Mutex
	temps map[string]heldDir // by the directory TempDir returned
}

// Options tune OpenWith.
type Options struct {
	// Remover as Store.Remover; Open's repair of tmp/ already needs it.
	Remover func(dir string) error
	// Notes receives one line per thing the repair of tmp/ could not
	// remove (the store still works; they are retried next time).
	Notes func(string)
	// TmpGrace is how old an unheld entry of tmp/ must be before Open
	// removes it. Default 3 minutes.
	TmpGrace time.Duration
}

// defaultGrace covers the moment between creating a temporary entry and
// taking the flock that marks it live; anything older and unlocked belongs
// to a process that is gone.
const defaultGrace = 3 * time.Minute

// DefaultRoot is $XDG_DATA_HOME/nook, or ~/.local/share/nook when
// XDG_DATA_HOME is unset or relative (the XDG spec says to ignore it then).
func DefaultRoot() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "nook"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("image store location: %w (set XDG_DATA_HOME or HOME)", err)
	}
	return filepath.Join(home, ".local", "share", "nook"), nil
}

// Open is OpenWith with default options.
func Open(root string) (*Store, error) { return OpenWith(root, Options{}) }

// OpenWith creates the layout under root if needed and removes what
// interrupted writers left in tmp/.
func OpenWith(root string, o Options) (*Store, error) {
	if !filepath.IsAbs(root) {
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, fmt.Errorf("image store %s: %w", root, err)
		}
		root = abs
	}
	s := &Store{Root: root, Remover: o.Remover, notes: o.Notes, grace: o.TmpGrace, temps: map[string]heldDir{}}
	if s.Remover == nil {
		s.Remover = RemoveAll
	}
	if s.grace <= 0 {
		s.grace = defaultGrace
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create image store %s: %w", root, err)
	}
	if err := checkOwner(root); err != nil {
		return nil, err
	}
	for _, d := range []string{s.blobDir(), s.layerDir(), s.imageDir(), s.tmpDir(), s.lockDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create image store directory %s: %w", d, err)
		}
	}
	SpreadSubdirs(s.tmpDir())
	s.cleanTmp(time.Now())
	return s, nil
}

// checkOwner refuses a store root that belongs to someone else: they could
// swap blobs under us.
func checkOwner(root string) error {
	st, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("image store %s: %w", root, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Getuid() {
		return fmt.Errorf("image store %s is not a directory of yours", root)
	}
	return nil
}

// Close releases the temporary directories this Store still holds (from
// TempDir, never committed or removed), leaving them for a later Open to
// remove. A process that exits releases them just the same.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for dir, h := range s.temps {
		h.lock.Close() // not release: the directory stays
		delete(s.temps, dir)
	}
	return nil
}

func (s *Store) note(format string, args ...any) {
	if s.notes != nil {
		s.notes(fmt.Sprintf(format, args...))
	}
}

func (s *Store) blobDir() string  { return filepath.Join(s.Root, "blobs", "sha256") }
func (s *Store) layerDir() string { return filepath.Join(s.Root, "layers") }
func (s *Store) imageDir() string { return filepath.Join(s.Root, "images") }
func (s *Store) tmpDir() string   { return filepath.Join(s.Root, "tmp") }
func (s *Store) lockDir() string  { return filepath.Join(s.Root, "locks") }
func (s *Store) refsPath() string { return filepath.Join(s.Root, "refs.json") }
