package messages

import (
	"fmt"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// The agent (nsagent) lives in the container's user, mount and network
// namespaces but outside its PID namespace, for the container's whole
// life; it has a socket of its own to the host side:
//
//	host                          agent
//	              ◄───────────    Started{Pid} + a pidfd of the container's PID 1
//	Connect{ID, From, To, Mark} ► (a published connection: the agent
//	                              connects in the container's namespace)
//	              ◄───────────    Connected{ID} + the connected socket, or
//	                              Connected{ID, Error}
//	Exec{ID, Exec} + stdin, stdout, stderr
//	                         ►    (nook exec: the agent starts an exec helper
//	                              in the container's PID namespace and cgroup)
//	              ◄───────────    ExecStarted{ID, Pid} + a pidfd of it [+ the
//	                              pty master], once the command runs, or
//	                              ExecStarted{ID, Error, Code}
//	              ◄───────────    ExecExited{ID, Status}, once it is reaped
//	              ◄─── EOF ───    the container has exited (the agent exits
//	                              with its status)
//
// The agent's messages are small and fixed: they have a codec of their own.

// AgentKind tells which agent message a datagram holds.
type AgentKind uint32

const (
	AgentStarted AgentKind = iota + 1
	AgentConnect
	AgentConnected
	AgentExec
	AgentExecStarted
	AgentExecExited
)

// AgentMsg is one message between the host side and the agent.
type AgentMsg struct {
	Kind AgentKind
	// ID pairs a Connected with its Connect, an ExecStarted and an
	// ExecExited with their Exec.
	ID uint32
	// Pid is the container's PID 1 as the host sees it (Started), or an
	// exec'd process (ExecStarted).
	Pid int
	// From is the source address to bind, To the container's address
	// to connect to, Mark the socket's mark (Connect).
	From, To netip.AddrPort
	Mark     uint32
	Error    string
	// Code is the exit status nook reports for a failed Exec (125, 126, 127).
	Code int
	// Status is an exec'd process's shell status: 128+N for signal N.
	Status int
	// Exec is the process to start (Exec).
	Exec *Exec
}

// maxAgentMsg bounds one message: an Exec carries a whole environment.
const maxAgentMsg = 256 << 10

// maxAgentFDs is the most descriptors a message carries (Exec's stdio).
const maxAgentFDs = 3

// agentBuffers keeps receive buffers across messages: a published
// connection's request should not cost a quarter MiB of garbage.
var agentBuffers = sync.Pool{New: func() any { b := make([]byte, maxAgentMsg); return &b }}

// SendAgent writes m as one datagram, with fds attached.
func SendAgent(sock int, m AgentMsg, fds ...int) error {
	e := &encoder{b: make([]byte, 0, 128)}
	e.u32(uint32(m.Kind))
	e.u32(m.ID)
	e.u32(uint32(m.Pid))
	e.str(text(m.From))
	e.str(text(m.To))
	e.u32(m.Mark)
	e.str(m.Error)
	e.u32(uint32(m.Code))
	e.u32(uint32(m.Status))
	e.exec(m.Exec)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(sock, e.b, oob, nil, 0); err != nil {
		return fmt.Errorf("send agent message %d: %w", m.Kind, err)
	}
	return nil
}

// RecvAgent reads one agent message; io.EOF means the other side is gone.
func RecvAgent(sock int) (AgentMsg, []int, error) {
	bp := agentBuffers.Get().(*[]byte)
	defer agentBuffers.Put(bp)
	buf := *bp
	n, fds, err := recv(sock, buf, maxAgentFDs)
	if err != nil {
		return AgentMsg{}, nil, err
	}
	if n == len(buf) {
		closeAll(fds)
		return AgentMsg{}, nil, fmt.Errorf("agent message larger than %d bytes", len(buf))
	}
	m, err := decodeAgent(buf[:n])
	if err != nil {
		closeAll(fds)
		return AgentMsg{}, nil, fmt.Errorf("decode agent message: %w", err)
	}
	return m, fds, nil
}

func decodeAgent(b []byte) (AgentMsg, error) {
	d := &decoder{b: b}
	m := AgentMsg{Kind: AgentKind(d.u32()), ID: d.u32(), Pid: int(d.u32())}
	from, to := d.str(), d.str()
	m.Mark, m.Error = d.u32(), d.str()
	m.Code, m.Status = int(d.u32()), int(d.u32())
	m.Exec = d.exec()
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return AgentMsg{}, d.err
	}
	var err error
	if from != "" {
		if m.From, err = netip.ParseAddrPort(from); err != nil {
			return AgentMsg{}, fmt.Errorf("source address: %w", err)
		}
	}
	if to != "" {
		if m.To, err = netip.ParseAddrPort(to); err != nil {
			return AgentMsg{}, fmt.Errorf("destination address: %w", err)
		}
	}
	return m, nil
}
