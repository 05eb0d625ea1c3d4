package ports

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// dialTimeout bounds how long a client waits for the container side.
const dialTimeout = 10 * time.Second

func (b *Bound) acceptLoop(d Dialer, t tcpPort) {
	defer b.wg.Done()
	for {
		c, err := t.ln.AcceptTCP()
		if err != nil {
			if b.stopped(err) || !b.backoff() {
				return
			}
			continue
		}
		b.wg.Add(1)
		go b.relayTCP(d, c, t.port)
	}
}

// relayTCP connects one accepted client to the container's port and
// copies both ways until both directions have ended.
func (b *Bound) relayTCP(d Dialer, c *net.TCPConn, port uint16) {
	defer b.wg.Done()
	if !b.track(c) {
		c.Close()
		return
	}
	defer b.untrack(c)
	defer c.Close()
	ctx, cancel := context.WithTimeout(b.ctx, dialTimeout)
	up, err := d.DialTCP(ctx, addrPort(c.RemoteAddr()), port)
	cancel()
	if err != nil {
		// A reset, as the client would see with no server on the port.
		_ = c.SetLinger(0)
		return
	}
	if !b.track(up) {
		up.Close()
		return
	}
	defer b.untrack(up)
	defer up.Close()
	splice(c, up)
}

// splice copies a→b and b→a. The end of one direction (EOF) is passed on
// as a half-close, so a client that shuts down its sending side still
// gets its answer; an error in either direction ends both.
func splice(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		pipe(b, a)
	}()
	pipe(a, b)
	wg.Wait()
}

func pipe(dst, src net.Conn) {
	if _, err := copyConn(dst, src); err != nil {
		src.Close()
		dst.Close()
		return
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		return
	}
	// No half-close on this kind of connection: closing is the only way to
	// tell the peer that nothing more comes, and it ends the other way too.
	dst.Close()
	src.Close()
}

// bufs are the copy buffers between a kernel socket and a user-mode one;
// large buffers mean fewer, larger writes into the user-mode stack.
var bufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// copyConn copies src to dst. Between two kernel TCP sockets io.Copy uses
// splice(2) and the data never enters this process.
func copyConn(dst, src net.Conn) (int64, error) {
	if isKernelTCP(dst) && isKernelTCP(src) {
		return io.Copy(dst, src)
	}
	bp := bufs.Get().(*[]byte)
	defer bufs.Put(bp)
	return io.CopyBuffer(writerOnly{dst}, readerOnly{src}, *bp)
}

func isKernelTCP(c net.Conn) bool {
	_, ok := c.(*net.TCPConn)
	return ok
}

// readerOnly and writerOnly hide ReadFrom and WriteTo, so that
// io.CopyBuffer uses the pooled buffer rather than its own 32 KiB one.
type readerOnly struct{ io.Reader }

type writerOnly struct{ io.Writer }
