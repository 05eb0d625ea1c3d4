package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// BlobPath is where the blob d is (or would be) stored; empty for an invalid
// digest.
func (s *Store) BlobPath(d Digest) string {
	if !d.Valid() {
		return ""
	}
	return filepath.Join(s.blobDir(), d.Hex())
}

// HasBlob reports whether the blob d is stored. A stored blob is complete
// and was verified on the way in: tmp/ is the only place partial content
// can be.
func (s *Store) HasBlob(d Digest) bool {
	p := s.BlobPath(d)
	if p == "" {
		return false
	}
	st, err := os.Lstat(p)
	return err == nil && st.Mode().IsRegular()
}

// OpenBlob opens the stored blob d for reading.
func (s *Store) OpenBlob(d Digest) (*os.File, error) {
	p := s.BlobPath(d)
	if p == "" {
		return nil, fmt.Errorf("open blob: invalid digest %q", d)
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", p, err)
	}
	return f, nil
}

// WriteBlob stores r's content as the blob d, checking digest and, unless
// size is -1, size while it streams. On any failure — a read error, too
// many or too few bytes, another digest (the error names the expected and
// the actual one and wraps ErrMismatch) — nothing is left visible. If the
// blob is already stored, r is not read at all. Safe to run concurrently
// for the same blob (the first complete copy stays); use EnsureBlob or
// LockDigest to also avoid downloading it more than once.
func (s *Store) WriteBlob(d Digest, size int64, r io.Reader) error {
	final := s.BlobPath(d)
	if final == "" {
		return fmt.Errorf("write blob: invalid digest %q", d)
	}
	if s.HasBlob(d) {
		return nil
	}
	f, err := s.createTemp("blob-" + d.Hex()[:12] + "-")
	if err != nil {
		return fmt.Errorf("write blob %s: %w", d, err)
	}
	tmp := f.Name()
	err = copyVerified(f, d, size, r)
	if err == nil {
		// Read-only: a blob is never modified in place.
		err = f.Chmod(0o400)
	}
	if err == nil {
		err = f.Sync()
	}
	var installed bool
	if err == nil {
		installed, err = install(tmp, final)
	}
	if !installed {
		// Failed, or lost the race to an identical copy. Removed
		// while still locked, so no one else's repair trips on it.
		os.Remove(tmp)
	}
	f.Close() // after Sync, close has nothing left to report
	if err != nil {
		return fmt.Errorf("write blob %s: %w", d, err)
	}
	return syncDir(s.blobDir())
}

func copyVerified(f *os.File, d Digest, size int64, r io.Reader) error {
	v := NewVerifier(r, d, size)
	// A write error names the temporary file already (an *fs.PathError); a
	// read error is the source's own.
	if _, err := io.Copy(f, v); err != nil {
		return err
	}
	return v.Verify()
}

// EnsureBlob makes sure the blob d is stored, calling open for its content
// only if it is missing once the blob's lock is held: of many processes
// pulling the same blob at once, one downloads it while the others wait,
// then find it present. fetched reports whether this call wrote it.
func (s *Store) EnsureBlob(d Digest, size int64, open func() (io.ReadCloser, error)) (fetched bool, err error) {
	if s.HasBlob(d) {
		return false, nil
	}
	unlock, err := s.LockDigest(d)
	if err != nil {
		return false, err
	}
	defer unlock()
	if s.HasBlob(d) {
		return false, nil
	}
	rc, err := open()
	if err != nil {
		return false, fmt.Errorf("fetch blob %s: %w", d, err)
	}
	defer rc.Close()
	if err := s.WriteBlob(d, size, rc); err != nil {
		return false, err
	}
	return true, nil
}
