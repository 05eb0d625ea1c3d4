package images

import (
	"errors"
	"io"
	"net"
	"syscall"

	"nook/store"
)

// retryable tells a transfer that broke (worth another request) from content
// that is wrong (the same bytes would come again).
func retryable(err error) bool {
	if errors.Is(err, store.ErrMismatch) {
		return false
	}
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne)
}
