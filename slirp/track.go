package slirp

import (
	"io"
	"sync"
)

// tracker holds what Close must undo: the goroutines the network started
// and the connections and sockets they use. Once closed, it refuses new
// ones, so a forwarder racing with Close closes what it just opened.
type tracker struct {
	mu      sync.Mutex
	closed  bool
	wg      sync.WaitGroup
	closers map[io.Closer]struct{}
}

// add registers c to be closed by close; false (and c closed) if the
// network is already closing.
func (t *tracker) add(c io.Closer) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		c.Close()
		return false
	}
	if t.closers == nil {
		t.closers = make(map[io.Closer]struct{})
	}
	t.closers[c] = struct{}{}
	t.mu.Unlock()
	return true
}

// remove forgets c (the caller closes it).
func (t *tracker) remove(c io.Closer) {
	t.mu.Lock()
	delete(t.closers, c)
	t.mu.Unlock()
}

// goFunc runs f in a goroutine that wait waits for, unless closed.
func (t *tracker) goFunc(f func()) bool {
	if !t.enter() {
		return false
	}
	go func() {
		defer t.wg.Done()
		f()
	}()
	return true
}

// enter counts the calling goroutine (one the stack started, e.g. a TCP
// forwarder handler) as running until it calls t.wg.Done.
func (t *tracker) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	return true
}

func (t *tracker) done() { t.wg.Done() }

// isClosed reports whether close has been called.
func (t *tracker) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

func (t *tracker) close() {
	t.mu.Lock()
	t.closed = true
	cs := t.closers
	t.closers = nil
	t.mu.Unlock()
	for c := range cs {
		c.Close()
	}
}

func (t *tracker) wait() { t.wg.Wait() }

// count is the number of open connections and sockets (for tests).
func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.closers)
}
