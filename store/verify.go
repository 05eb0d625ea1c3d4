package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// ErrMismatch is wrapped by errors for content whose digest or size is not
// the expected one.
var ErrMismatch = errors.New("content mismatch")

// Verifier reads through to r while hashing and counting, so content is
// checked in the same pass that stores it. It fails a read as soon as more
// than the expected size arrives, so a hostile server cannot make a pull
// write forever. Use it also for what the store cannot check itself, such
// as a layer's diff ID on its decompressed stream.
type Verifier struct {
	r    io.Reader
	want Digest
	size int64 // -1: unknown
	h    hash.Hash
	n    int64
}

// NewVerifier checks what is read from r against d and, unless it is -1,
// size.
func NewVerifier(r io.Reader, d Digest, size int64) *Verifier {
	return &Verifier{r: r, want: d, size: size, h: sha256.New()}
}

func (v *Verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		return n, fmt.Errorf("%s: %w: more than the expected %d bytes", v.want, ErrMismatch, v.size)
	}
	return n, err
}

// Digest is the digest of what has been read so far.
func (v *Verifier) Digest() Digest {
	return Digest(digestPrefix + hex.EncodeToString(v.h.Sum(nil)))
}

// Verify, after r reached EOF, reports whether the content matched.
func (v *Verifier) Verify() error {
	if v.size >= 0 && v.n != v.size {
		return fmt.Errorf("%s: %w: %d bytes, expected %d", v.want, ErrMismatch, v.n, v.size)
	}
	if got := v.Digest(); got != v.want {
		return fmt.Errorf("%w: expected %s, got %s (%d bytes)", ErrMismatch, v.want, got, v.n)
	}
	return nil
}
