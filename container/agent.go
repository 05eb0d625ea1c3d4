package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
	"nook/messages"
	"nook/nsagent"
	"nook/slirp"
)

// publishedMark marks the agent's published connections ("nook"), so that
// the container's kernel routes their answers back to them (netconf).
const publishedMark = 0x6e6f6f6b

// agent is the host side's end of the agent (nsagent): the process nook
// clones instead of the init when the container needs something done in
// its namespaces while it runs. The agent clones the init itself, as PID 1
// of the container's PID namespace, and stays outside that namespace.
type agent struct {
	sock    int
	initPid int
	pidfd   int
	started chan error
	// readDone is closed when startReading's reader has ended; nil until
	// it is started.
	readDone chan struct{}

	// sending keeps sock open while a request is being sent on it.
	sending sync.Mutex
	closed  bool

	mu      sync.Mutex
	next    uint32
	waiting map[uint32]chan connected
	execs   map[uint32]*execState
	gone    bool
}

type connected struct {
	fd  int
	err error
}

// agentFlags are the namespaces the agent leaves to the init's clone.
const agentFlags = unix.CLONE_NEWPID | unix.CLONE_NEWCGROUP

// newAgent makes the agent's socket; the caller passes child to the
// agent as its descriptor 4 and closes it after the clone.
func newAgent() (a *agent, child int, err error) {
	host, child, err := messages.Pair()
	if err != nil {
		return nil, -1, err
	}
	a = &agent{sock: host, pidfd: -1, started: make(chan error, 1),
		waiting: map[uint32]chan connected{}, execs: map[uint32]*execState{}}
	return a, child, nil
}

// args is the agent's command line (nsagent.Arg).
func (a *agent) args(flags uintptr, cgroup bool) []string {
	cg := "-"
	if cgroup {
		cg = "fd"
	}
	return []string{"nook", nsagent.Arg, strconv.FormatUint(uint64(flags&agentFlags), 10), cg}
}

// startReading reads the agent's messages until it is gone: first the
// init's pid and a pidfd for it (into a, then a.started), then the
// answers to requests. Start it while the id maps are written.
func (a *agent) startReading() {
	a.readDone = make(chan struct{})
	go func() {
		defer close(a.readDone)
		defer a.end()
		err := a.awaitStarted()
		a.started <- err
		if err == nil {
			a.serve()
		}
	}()
}

func (a *agent) awaitStarted() error {
	m, fds, err := messages.RecvAgent(a.sock)
	switch {
	case errors.Is(err, io.EOF):
		// The agent reported its failure on the init's socket.
		return failed("the container's agent exited before it started the init")
	case err != nil:
		return failed("%v", err)
	case m.Kind != messages.AgentStarted || len(fds) != 1:
		closeFDs(fds)
		return failed("the container's agent sent message %d with %d descriptors first", m.Kind, len(fds))
	}
	a.initPid, a.pidfd = m.Pid, fds[0]
	return nil
}

// serve hands the agent's answers to the requests waiting for them,
// until the agent is gone.
func (a *agent) serve() {
	for {
		m, fds, err := messages.RecvAgent(a.sock)
		if err != nil {
			return
		}
		switch m.Kind {
		case messages.AgentConnected:
			a.connected(m, fds)
		case messages.AgentExecStarted:
			a.execStarted(m, fds)
		case messages.AgentExecExited:
			closeFDs(fds)
			a.execExited(m)
		default:
			closeFDs(fds)
		}
	}
}

func (a *agent) connected(m messages.AgentMsg, fds []int) {
	a.mu.Lock()
	ch := a.waiting[m.ID]
	delete(a.waiting, m.ID)
	a.mu.Unlock()
	c := connected{fd: -1}
	switch {
	case m.Error != "":
		c.err = errors.New(m.Error)
	case len(fds) == 1:
		c.fd, fds = fds[0], nil
	default:
		c.err = fmt.Errorf("the agent answered with %d descriptors", len(fds))
	}
	closeFDs(fds)
	if ch == nil {
		if c.fd >= 0 {
			unix.Close(c.fd) // its client gave up waiting
		}
		return
	}
	ch <- c
}

var errAgentGone = errors.New("the container's agent has exited")

// end fails every request still waiting: the agent is gone.
func (a *agent) end() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gone = true
	for id, ch := range a.waiting {
		ch <- connected{fd: -1, err: errAgentGone}
		delete(a.waiting, id)
	}
	for id, st := range a.execs {
		st.agentGone()
		delete(a.execs, id)
	}
}

// send sends a request, unless close has begun.
func (a *agent) send(m messages.AgentMsg, fds ...int) error {
	a.sending.Lock()
	defer a.sending.Unlock()
	if a.closed {
		return errAgentGone
	}
	return messages.SendAgent(a.sock, m, fds...)
}

// register gives a request its id, unless the agent is gone.
func (a *agent) register(add func(id uint32)) (uint32, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gone {
		return 0, errAgentGone
	}
	a.next++
	add(a.next)
	return a.next, nil
}

// connect asks the agent for a TCP connection from `from` to `to` inside
// the container's network namespace and returns its socket.
func (a *agent) connect(ctx context.Context, from, to netip.AddrPort) (*net.TCPConn, error) {
	ch := make(chan connected, 1)
	id, err := a.register(func(id uint32) { a.waiting[id] = ch })
	if err != nil {
		return nil, err
	}
	err = a.send(messages.AgentMsg{Kind: messages.AgentConnect, ID: id, From: from, To: to, Mark: publishedMark})
	if err != nil {
		a.forget(id)
		return nil, err
	}
	select {
	case c := <-ch:
		if c.err != nil {
			return nil, c.err
		}
		return tcpConn(c.fd)
	case <-ctx.Done():
		a.forget(id)
		return nil, ctx.Err()
	}
}

func (a *agent) forget(id uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.waiting, id)
}

func tcpConn(fd int) (*net.TCPConn, error) {
	f := os.NewFile(uintptr(fd), "published-connection")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("the agent passed a %T, not a TCP socket", c)
	}
	return tc, nil
}

// close ends the host side's end, once the agent has exited or failed to
// start. Sends in flight finish and the reader ends first: neither may
// touch the descriptor's number after it is closed (and maybe reused).
func (a *agent) close() {
	a.sending.Lock()
	a.closed = true
	// Wakes the reader, whose receive would otherwise not end.
	_ = unix.Shutdown(a.sock, unix.SHUT_RDWR)
	a.sending.Unlock()
	if a.readDone != nil {
		<-a.readDone
	}
	unix.Close(a.sock)
	if a.pidfd >= 0 {
		unix.Close(a.pidfd)
	}
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// agentDialer carries published TCP connections through the agent, with
// the kernel's stack on both sides (the host side splices between the two
// sockets), and UDP through the user-mode stack.
type agentDialer struct {
	a  *agent
	nw *slirp.Network
}

func (d agentDialer) DialTCP(ctx context.Context, from netip.AddrPort, port uint16) (net.Conn, error) {
	src, dst := d.nw.PublishedEndpoints(from, port)
	c, err := d.a.connect(ctx, src, dst)
	if err != nil {
		return nil, fmt.Errorf("connect to the container's tcp port %d from %s: %w", port, src, err)
	}
	return c, nil
}

func (d agentDialer) DialUDP(from netip.AddrPort, port uint16) (net.Conn, error) {
	return d.nw.DialUDP(from, port)
}
