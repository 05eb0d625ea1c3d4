package messages

import (
	"fmt"
	"net/netip"

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
)

// AgentMsg is one message between the host side and the agent.
type AgentMsg struct {
	Kind AgentKind
	// ID pairs a Connected with its Connect.
	ID uint32
	// Pid is the container's PID 1 as the host sees it (Started).
	Pid int
	// From is the source address to bind, To the container's address
	// to connect to, Mark the socket's mark (Connect).
	From, To netip.AddrPort
	Mark     uint32
	Error    string
}

const maxAgentMsg = 4 << 10

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
	buf := make([]byte, maxAgentMsg)
	n, fds, err := recv(sock, buf, 1)
	if err != nil {
		return AgentMsg{}, nil, err
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
