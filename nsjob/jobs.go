package nsjob

import (
	"fmt"

	"nook/layer"
)

// UnpackResult is what one unpacked layer came to.
type UnpackResult struct {
	// Result holds the counts and DiffID, "sha256:<hex>" of the whole
	// decompressed stream (layer.Result.DiffID, promoted).
	layer.Result
	Notes []string // layer.Options.Notes lines, at most maxNotes
}

// Unpack unpacks the blob file (gzip, zstd or plain tar) into dir, which
// exists and is empty, with layer.Unpack; chown applies the entries'
// owners. name (the layer's digest) is for messages. A refused or cut
// layer's error is layer's own message, matching layer.ErrUnsafe or
// layer.ErrTruncated.
func (r *Runner) Unpack(blob, dir, name string, chown bool) (UnpackResult, error) {
	rep, err := r.call(request{Op: opUnpack, Blob: blob, Dir: dir, Name: name, Chown: chown})
	if err == nil {
		err = rep.err()
	}
	if err != nil {
		return UnpackResult{}, err
	}
	if rep.Result == nil {
		return UnpackResult{}, fmt.Errorf("unpack %s: the helper sent no result", name)
	}
	return *rep.Result, nil
}

// RemoveAll removes dir and everything below it from inside the
// namespace, where directories of mode 0 and files of subordinate owners
// are the namespace root's to remove. A missing dir is no error.
func (r *Runner) RemoveAll(dir string) error {
	rep, err := r.call(request{Op: opRemoveAll, Dir: dir})
	if err != nil {
		return err
	}
	return rep.err()
}

// Flatten builds dst (exists, empty) as the union overlayfs would show of
// the overlay-format layer directories, bottom first: whiteouts (char 0/0)
// delete, opaque directories hide what is below, upper entries replace
// lower ones. Owners, modes, times, symlinks, hard links within a layer,
// user.* and security.capability xattrs and holes are kept; dst's own
// owner and mode stay, as an overlay upper directory's would.
func (r *Runner) Flatten(dst string, layers []string) error {
	rep, err := r.call(request{Op: opFlatten, Dir: dst, Layers: layers})
	if err != nil {
		return err
	}
	return rep.err()
}
