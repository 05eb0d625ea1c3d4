package ports

import (
	"errors"
	"net"
	"time"
)

// Serve starts relaying every bound port into the container through d and
// returns at once; Close stops it. Until Serve, clients wait in the
// kernel's queues (the TCP backlog, the UDP receive buffer). Calls after
// the first, or after Close, do nothing.
func (b *Bound) Serve(d Dialer) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.serving {
		return
	}
	b.serving = true
	for _, t := range b.tcp {
		b.wg.Add(1)
		go b.acceptLoop(d, t)
	}
	for _, u := range b.udp {
		b.wg.Add(1)
		go b.udpLoop(d, u)
	}
}

// stopped tells whether an error from a socket Serve reads means Close
// closed it.
func (b *Bound) stopped(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// backoff waits a little after an error that may pass (EMFILE while
// accepting), so that the loop does not spin; it returns false once Close
// has been called.
func (b *Bound) backoff() bool {
	select {
	case <-b.ctx.Done():
		return false
	case <-time.After(50 * time.Millisecond):
		return true
	}
}
