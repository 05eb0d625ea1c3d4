package nsjob

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/sys/unix"
	"nook/layer"
)

// maxMsg bounds one datagram; replies carry at most maxNotes notes of a
// few hundred bytes, requests a few paths. The kernel's default socket
// buffer (208 KiB) bounds what one send may carry anyway.
const (
	maxMsg   = 128 << 10
	maxNotes = 100
)

// Ops of a request.
const (
	opGo        = "go"
	opUnpack    = "unpack"
	opRemoveAll = "removeall"
	opFlatten   = "flatten"
)

type request struct {
	ID     uint64   `json:"id"`
	Op     string   `json:"op"`
	Blob   string   `json:"blob,omitempty"`
	Dir    string   `json:"dir,omitempty"`
	Name   string   `json:"name,omitempty"`
	Chown  bool     `json:"chown,omitempty"`
	Layers []string `json:"layers,omitempty"`
}

type reply struct {
	ID     uint64        `json:"id"`
	Result *UnpackResult `json:"result,omitempty"`
	Err    string        `json:"err,omitempty"`
	Kind   string        `json:"kind,omitempty"` // see kinds
}

// kinds carry the sentinel an error matched across the process boundary.
var kinds = map[string]error{
	"unsafe":    layer.ErrUnsafe,
	"truncated": layer.ErrTruncated,
}

// remoteError is an error of the helper: its text verbatim (layer's
// messages already name the layer and the entry), and the sentinel it
// matched there.
type remoteError struct {
	msg  string
	kind error
}

func (e *remoteError) Error() string { return e.msg }

func (e *remoteError) Is(target error) bool { return e.kind != nil && target == e.kind }

func errorReply(id uint64, err error) reply {
	r := reply{ID: id, Err: err.Error()}
	for k, sentinel := range kinds {
		if errors.Is(err, sentinel) {
			r.Kind = k
		}
	}
	return r
}

// err turns the reply back into an error (nil for success).
func (r reply) err() error {
	if r.Err == "" {
		return nil
	}
	return &remoteError{msg: r.Err, kind: kinds[r.Kind]}
}

var errTooLarge = fmt.Errorf("message larger than %d bytes", maxMsg)

// send writes v as one datagram; callers serialise sends on one socket.
func send(sock int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxMsg {
		return fmt.Errorf("%w: %d bytes", errTooLarge, len(b))
	}
	for {
		err = unix.Sendmsg(sock, b, nil, nil, unix.MSG_NOSIGNAL)
		if err != unix.EINTR {
			return err
		}
	}
}

// recv reads one datagram into v; io.EOF means the other side is gone
// (or shut the socket down).
func recv(sock int, buf []byte, v any) error {
	var n, flags int
	var err error
	for {
		n, _, flags, _, err = unix.Recvmsg(sock, buf, nil, 0)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case errors.Is(err, unix.ECONNRESET):
		return io.EOF // the other side died with a request unread
	case err != nil:
		return err
	case n == 0:
		return io.EOF
	case flags&unix.MSG_TRUNC != 0:
		return fmt.Errorf("message larger than %d bytes", len(buf))
	}
	return json.Unmarshal(buf[:n], v)
}

// shrink makes a reply too large for one datagram fit: hostile layers
// choose their entry names, and messages quote them.
func shrink(r reply) reply {
	r.Err = clip(r.Err, 1000)
	if r.Result != nil {
		res := *r.Result
		res.Notes = nil
		for i, n := range r.Result.Notes {
			if i == 10 {
				res.Notes = append(res.Notes, "(more notes not shown)")
				break
			}
			res.Notes = append(res.Notes, clip(n, 300))
		}
		r.Result = &res
	}
	return r
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// capNotes keeps a reply inside one datagram whatever a layer held.
func capNotes(notes []string) []string {
	if len(notes) <= maxNotes {
		return notes
	}
	more := len(notes) - maxNotes + 1
	return append(notes[:maxNotes-1:maxNotes-1], fmt.Sprintf("(%d more notes not shown)", more))
}
