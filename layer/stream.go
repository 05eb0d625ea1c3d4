package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

const blockSize = 512 // tar's record unit

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress picks the decoder from the stream's first bytes, as containerd
// does: registries' media types are not always truthful. kind names the
// format for error messages.
func decompress(r io.Reader) (stream io.ReadCloser, kind string, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(len(zstdMagic)) // a short or failing stream shows up on the first read
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "gzip", err
		}
		return zr, "gzip", nil
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, "zstd", err
		}
		return zr.IOReadCloser(), "zstd", nil
	default:
		return io.NopCloser(br), "tar", nil
	}
}

// countingReader counts the bytes archive/tar consumed, which tells a
// complete archive from one cut between two entries.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// streamError describes a failure to read the layer (not to write it);
// where says how far the stream got (see after and in).
func (u *unpacker) streamError(err error, where string) error {
	kind := u.kind
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return u.errorf("%w%s (%s stream ends early)", ErrTruncated, where, kind)
	case errors.Is(err, tar.ErrHeader) && kind == "tar" && where == "":
		return u.errorf("not a tar archive, nor gzip- or zstd-compressed")
	case errors.Is(err, tar.ErrHeader):
		return u.errorf("corrupt tar stream%s: %w", where, err)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return u.errorf("corrupt gzip stream%s: %w", where, err)
	}
	return u.errorf("read %s stream%s: %w", kind, where, err)
}

// after places a failure between entries, past the entry named.
func after(entry string) string {
	if entry == "" {
		return ""
	}
	return fmt.Sprintf(" after entry %q", entry)
}

// in places a failure in the data of the entry named.
func in(entry string) string { return fmt.Sprintf(" in entry %q", entry) }

// readError marks an error from the layer stream met while copying a file's
// data, so that the file's writer can tell it from a write failure.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }
