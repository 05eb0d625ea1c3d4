package store

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestWriteBlob(t *testing.T) {
	s := openStore(t)
	b := content("blob", 100_000)
	d := FromBytes(b)
	if s.HasBlob(d) {
		t.Fatal("HasBlob before writing")
	}
	if err := s.WriteBlob(d, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if !s.HasBlob(d) {
		t.Fatal("HasBlob false after writing")
	}
	f, err := s.OpenBlob(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("blob content: %d bytes, %v", len(got), err)
	}
	if st, err := os.Stat(s.BlobPath(d)); err != nil || st.Mode().Perm() != 0o400 {
		t.Errorf("blob mode: %v, %v; want read-only", st.Mode(), err)
	}
	// Present: never rewritten, the reader is not even read.
	if err := s.WriteBlob(d, int64(len(b)), failingReader{}); err != nil {
		t.Errorf("second WriteBlob: %v", err)
	}
	assertEmpty(t, s.tmpDir())

	// Size unknown.
	b2 := content("unknown size", 5000)
	if err := s.WriteBlob(FromBytes(b2), -1, bytes.NewReader(b2)); err != nil || !s.HasBlob(FromBytes(b2)) {
		t.Errorf("WriteBlob with size -1: %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("must not be read") }

// truncatedReader gives part of its content, then fails as a dropped
// connection does.
type truncatedReader struct{ r io.Reader }

func (t truncatedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestWriteBlobFailures(t *testing.T) {
	b := content("payload", 70_000)
	d := FromBytes(b)
	other := FromBytes([]byte("something else"))
	cases := []struct {
		name   string
		digest Digest
		size   int64
		r      io.Reader
		want   []string // in the error
		is     error
	}{
		{"wrong digest", other, int64(len(b)), bytes.NewReader(b), []string{string(other), string(d)}, ErrMismatch},
		{"wrong digest, size unknown", other, -1, bytes.NewReader(b), []string{string(other), string(d)}, ErrMismatch},
		{"declared size too small", d, int64(len(b)) - 1, bytes.NewReader(b), []string{string(d), "69999"}, ErrMismatch},
		{"declared size too large", d, int64(len(b)) + 1, bytes.NewReader(b), []string{string(d), "70001"}, ErrMismatch},
		{"short reader, size known", d, int64(len(b)), bytes.NewReader(b[:1000]), []string{string(d), "1000 bytes"}, ErrMismatch},
		{"short reader, size unknown", d, -1, bytes.NewReader(b[:1000]), []string{string(d)}, ErrMismatch},
		{"read error", d, int64(len(b)), truncatedReader{bytes.NewReader(b[:1000])}, []string{string(d), "unexpected EOF"}, io.ErrUnexpectedEOF},
		{"invalid digest", "sha256:../../x", 1, bytes.NewReader(b), []string{"invalid digest"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openStore(t)
			err := s.WriteBlob(c.digest, c.size, c.r)
			if err == nil {
				t.Fatal("WriteBlob succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
			// Nothing visible: not under either digest, nothing in
			// blobs/ at all, and no temporary file left behind.
			if s.HasBlob(d) || s.HasBlob(other) {
				t.Error("a blob is visible after the failure")
			}
			assertEmpty(t, s.blobDir())
			assertEmpty(t, s.tmpDir())
		})
	}
}

func TestEnsureBlob(t *testing.T) {
	s := openStore(t)
	b := content("ensure", 3000)
	d := FromBytes(b)
	opens := 0
	open := func() (io.ReadCloser, error) {
		opens++
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	for i, want := range []bool{true, false} {
		fetched, err := s.EnsureBlob(d, int64(len(b)), open)
		if err != nil || fetched != want {
			t.Fatalf("EnsureBlob #%d = %v, %v; want %v", i, fetched, err, want)
		}
	}
	if opens != 1 {
		t.Errorf("content opened %d times, want 1", opens)
	}
	assertEmpty(t, s.lockDir()) // per-digest lock files go with their unlock
	if _, err := s.OpenBlob(FromBytes([]byte("absent"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenBlob of a missing blob: %v, want ErrNotFound", err)
	}
}
