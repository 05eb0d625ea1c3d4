package layer

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

const (
	// holeBlock is the unit of holes: a block of zeros this size, at an
	// offset that is a multiple of it, is skipped instead of written.
	holeBlock = 4 << 10
	// copyBuffer is the one buffer an unpacker streams file data through.
	copyBuffer = 256 << 10
)

var zeros [holeBlock]byte

// writeSparse copies size bytes from r to the new, empty file fd, leaving
// a hole for every block of zeros. archive/tar hands back sparse files
// (GNU and PAX formats) with their holes filled in; this makes holes of
// them again, so a 1 GiB sparse file does not take 1 GiB. Errors reading r
// come back as readError.
func (u *unpacker) writeSparse(fd int, r io.Reader, size int64) error {
	var off, end int64 // end: just past the last byte written
	for off < size {
		n, err := io.ReadFull(r, u.buf[:min(int64(len(u.buf)), size-off)])
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return readError{err}
		}
		chunk := u.buf[:n]
		start := 0 // beginning of the data not yet written
		for i := 0; i < n; i += holeBlock {
			j := min(i+holeBlock, n)
			// A short block of zeros is a hole too when it ends the file:
			// the final ftruncate makes it.
			whole := j-i == holeBlock || off+int64(j) == size
			if whole && bytes.Equal(chunk[i:j], zeros[:j-i]) {
				if err := PwriteAll(fd, chunk[start:i], off+int64(start)); err != nil {
					return err
				}
				if i > start {
					end = off + int64(i)
				}
				start = j
			}
		}
		if err := PwriteAll(fd, chunk[start:], off+int64(start)); err != nil {
			return err
		}
		if n > start {
			end = off + int64(n)
		}
		off += int64(n)
	}
	if end < size {
		// A trailing hole: only the size says it is there.
		if err := unix.Ftruncate(fd, size); err != nil {
			return fmt.Errorf("truncate to %d bytes: %w", size, err)
		}
	}
	return nil
}

// PwriteAll writes all of p at off, retrying short and interrupted writes.
func PwriteAll(fd int, p []byte, off int64) error {
	for len(p) > 0 {
		n, err := unix.Pwrite(fd, p, off)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		p = p[n:]
		off += int64(n)
	}
	return nil
}
