package slirp

import (
	"io"
	"net"
	"sync"
)

const relayBuf = 256 << 10

var relayBufs = sync.Pool{New: func() any { b := make([]byte, relayBuf); return &b }}

// halfCloser is what both a host TCP socket and gonet's TCPConn offer:
// passing the container's FIN on to the host (and back) keeps protocols
// that half-close (HTTP/1.0 clients, rsync) working.
type halfCloser interface {
	CloseWrite() error
}

// relay copies a and b into each other until both directions ended, then
// closes both. It returns when done; Close ends it early by closing both.
func (n *Network) relay(a, b net.Conn) {
	if !n.track.add(a) {
		b.Close()
		return
	}
	defer n.track.remove(a)
	if !n.track.add(b) {
		a.Close()
		return
	}
	defer n.track.remove(b)
	done := make(chan struct{})
	go func() {
		copyHalf(a, b)
		close(done)
	}()
	copyHalf(b, a)
	<-done
	a.Close()
	b.Close()
}

// copyHalf copies src to dst and passes the end on: a half-close when dst
// can, otherwise both are closed so the other direction ends too.
func copyHalf(dst, src net.Conn) {
	bp := relayBufs.Get().(*[]byte)
	defer relayBufs.Put(bp)
	// The wrappers hide ReadFrom/WriteTo, whose generic fallbacks copy in
	// 32 KiB steps: large buffers mean fewer writes into the stack and
	// fewer syscalls on the host socket.
	_, err := io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, *bp)
	if hc, ok := dst.(halfCloser); ok && err == nil {
		hc.CloseWrite()
		return
	}
	dst.Close()
	src.Close()
}
