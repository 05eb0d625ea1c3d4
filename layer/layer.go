// Package layer unpacks one OCI or Docker image layer (a tar stream, plain or
// gzip- or zstd-compressed) into an empty directory, in the layout kernel
// overlayfs expects of a lower layer mounted with userxattr: whiteouts are
// character devices 0/0 and opaque directories carry user.overlay.opaque=y.
//
// A layer is hostile input. Every entry is created relative to a descriptor
// of its parent directory, resolved inside the layer directory without
// following any symlink, and the entry itself is created without following
// one, so no order of entries can write outside the directory.
package layer

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Options tune Unpack.
type Options struct {
	// Chown applies the entries' uid/gid (Lchown); nook unpacks inside the
	// container's user namespace, where they map to the subordinate ids.
	// Off: files belong to the caller.
	Chown bool
	// Notes receives one line per thing skipped on purpose (device nodes,
	// xattrs the kernel refused) — for the user, not errors.
	Notes func(string)
}

// Result counts what Unpack created. Files includes fifos, Links symbolic
// and hard links, Whiteouts the opaque markers too; Bytes is the logical
// size of the regular files (holes included).
type Result struct {
	Files, Dirs, Links, Whiteouts int
	Bytes                         int64
	// DiffID is "sha256:<hex>" of the whole decompressed stream, the
	// image config's rootfs.diff_ids entry for the layer; trailing bytes
	// after the tar end marker count, as they do for the image's builder.
	DiffID string
}

// ErrTruncated is wrapped by errors for a layer stream that ends early.
var ErrTruncated = errors.New("truncated")

// ErrUnsafe is wrapped by errors for entries refused because they would
// reach outside the layer (absolute paths, "..", symlinks in parent paths,
// hard links to outside).
var ErrUnsafe = errors.New("unsafe entry")

// unsafeError is a refusal whose text is the message alone but which still
// matches ErrUnsafe.
type unsafeError string

func (e unsafeError) Error() string      { return string(e) }
func (unsafeError) Is(target error) bool { return target == ErrUnsafe }

// Unpack reads the layer from r (compression detected from the magic bytes:
// gzip 1f8b, zstd 28b52ffd, else plain tar) into dir, which must exist and
// be empty. name (e.g. the layer's digest) is only used in error messages.
//
// Unpack stops at the first error and leaves dir for the caller to remove;
// directory modes are applied only on success, so until then every
// directory stays writable by its owner.
func Unpack(r io.Reader, dir, name string, o Options) (Result, error) {
	u, err := newUnpacker(dir, name, o)
	if err != nil {
		return Result{}, err
	}
	defer u.close()
	if err := u.unpack(r); err != nil {
		return Result{}, err
	}
	return u.res, nil
}

type unpacker struct {
	name string
	o    Options
	root int    // O_PATH descriptor of the layer directory
	kind string // "gzip", "zstd" or "tar"
	res  Result
	// dirs holds the metadata of every directory, applied after the last
	// entry: a directory made read-only early must not stop later entries.
	dirs    map[string]dirMeta
	skipped map[string]*skippedXattr
	buf     []byte
}

func newUnpacker(dir, name string, o Options) (*unpacker, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", name, err)
	}
	names, err := f.Readdirnames(1)
	f.Close()
	if err == nil && len(names) > 0 {
		return nil, fmt.Errorf("layer %s: unpack into %s: directory is not empty", name, dir)
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("layer %s: read %s: %w", name, dir, err)
	}
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("layer %s: open %s: %w", name, dir, err)
	}
	return &unpacker{
		name:    name,
		o:       o,
		root:    root,
		dirs:    map[string]dirMeta{},
		skipped: map[string]*skippedXattr{},
		buf:     make([]byte, copyBuffer),
	}, nil
}

func (u *unpacker) close() {
	u.flushNotes()
	unix.Close(u.root)
}

func (u *unpacker) note(format string, args ...any) {
	if u.o.Notes != nil {
		u.o.Notes(fmt.Sprintf("layer %s: ", u.name) + fmt.Sprintf(format, args...))
	}
}

// errorf reports a problem with the layer as a whole.
func (u *unpacker) errorf(format string, args ...any) error {
	return fmt.Errorf("layer %s: %w", u.name, fmt.Errorf(format, args...))
}

// entryError reports a problem with one entry, named as the layer spells it.
func (u *unpacker) entryError(entry string, err error) error {
	return fmt.Errorf("layer %s: entry %q: %w", u.name, entry, err)
}

func (u *unpacker) unpack(r io.Reader) error {
	stream, kind, err := decompress(r)
	u.kind = kind
	if err != nil {
		return u.streamError(err, "")
	}
	defer stream.Close()

	// Hashing here, not in the caller, is what sees the decompressed bytes.
	diff := sha256.New()
	tee := io.TeeReader(stream, diff)
	cr := &countingReader{r: tee}
	tr := tar.NewReader(cr)
	last := ""
	for {
		before := cr.n
		h, err := tr.Next()
		if err == io.EOF {
			// archive/tar also reports a stream that stops cleanly between
			// two entries as the end; only a terminating zero block (after
			// at most 511 bytes of padding) marks a complete archive.
			if cr.n-before < blockSize {
				return u.errorf("%w: the archive has no end marker", ErrTruncated)
			}
			break
		}
		if err != nil {
			return u.streamError(err, after(last))
		}
		last = h.Name
		if err := u.entry(tr, h); err != nil {
			return err
		}
		// Consume what the entry did not read, so that the check for the
		// end marker above only measures padding and headers.
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return u.streamError(err, in(h.Name))
		}
	}
	// Read to the end: the gzip trailer's checksum is only checked there,
	// the diffID covers every byte, and a caller hashing r sees them all.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return u.streamError(err, "")
	}
	u.res.DiffID = "sha256:" + hex.EncodeToString(diff.Sum(nil))
	return u.applyDirs()
}

// entry dispatches one tar entry.
func (u *unpacker) entry(tr *tar.Reader, h *tar.Header) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil // PAX global header (git archive writes one): no file
	}
	p, err := cleanPath(h.Name)
	if err != nil {
		return u.entryError(h.Name, err)
	}
	parent, base := split(p)
	if inWhiteoutMeta(parent) {
		return nil
	}
	if isWhiteout(base) {
		err = u.whiteout(p)
	} else {
		err = u.create(tr, h, p)
	}
	var re readError
	if errors.As(err, &re) {
		return u.streamError(re.err, in(h.Name))
	}
	if err != nil {
		return u.entryError(h.Name, err)
	}
	return nil
}

func (u *unpacker) create(tr *tar.Reader, h *tar.Header, p string) error {
	if p == "." && h.Typeflag != tar.TypeDir {
		return errors.New("only a directory can stand for the layer's root")
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return u.dir(h, p)
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
		return u.file(tr, h, p)
	case tar.TypeSymlink:
		return u.symlink(h, p)
	case tar.TypeLink:
		return u.hardlink(h, p)
	case tar.TypeFifo:
		return u.fifo(h, p)
	case tar.TypeChar, tar.TypeBlock:
		kind := "character"
		if h.Typeflag == tar.TypeBlock {
			kind = "block"
		}
		u.note("skipped %s device %q (%d:%d): device nodes cannot be created rootless; the container gets /dev from the runtime",
			kind, h.Name, h.Devmajor, h.Devminor)
		return nil
	default:
		return fmt.Errorf("unsupported entry type %q", h.Typeflag)
	}
}
