package nsagent

import (
	"errors"
	"io"
	"sync"
	"time"

	"nook/messages"
)

// agent serves the host side's requests on its socket.
type agent struct {
	sock  int
	spawn spawner

	mu sync.Mutex
	// active counts the exec requests whose last message is not sent yet;
	// idle, when set, is closed when it drops to 0 (drain).
	active int
	idle   chan struct{}
}

// spawner starts exec helpers and reaps them (the cloner; a fake in tests).
type spawner interface {
	// spawn starts a helper with files as its descriptors 0, 1, 2, ...
	spawn(files []int) (pid, pidfd int, err error)
	// wait reaps it and returns its shell status (128+N for signal N).
	wait(pid int) int
}

func newAgent(sock int, s spawner) *agent { return &agent{sock: sock, spawn: s} }

// serve answers the host side's requests until its socket ends: the
// host side is gone, and the agent exits (its parent-death signal kills
// the init as the agent's thread exits).
func (a *agent) serve() {
	for {
		m, fds, err := messages.RecvAgent(a.sock)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			continue
		}
		switch m.Kind {
		case messages.AgentConnect:
			closeAll(fds)
			go answerConnect(a.sock, m)
		case messages.AgentExec:
			a.begin()
			go a.runExec(m, fds)
		default:
			closeAll(fds)
		}
	}
}

func answerConnect(sock int, m messages.AgentMsg) {
	reply := messages.AgentMsg{Kind: messages.AgentConnected, ID: m.ID}
	fd, err := connect(m.From, m.To, m.Mark)
	if err != nil {
		reply.Error = err.Error()
		_ = messages.SendAgent(sock, reply)
		return
	}
	_ = messages.SendAgent(sock, reply, fd)
	closeFD(fd)
}

func (a *agent) begin() {
	a.mu.Lock()
	a.active++
	a.mu.Unlock()
}

func (a *agent) end() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.active--
	if a.active == 0 && a.idle != nil {
		close(a.idle)
		a.idle = nil
	}
}

// drain waits, at most d, until no exec request has a message to send.
func (a *agent) drain(d time.Duration) {
	a.mu.Lock()
	if a.active == 0 {
		a.mu.Unlock()
		return
	}
	if a.idle == nil {
		a.idle = make(chan struct{})
	}
	idle := a.idle
	a.mu.Unlock()
	select {
	case <-idle:
	case <-time.After(d):
	}
}

func closeAll(fds []int) {
	for _, fd := range fds {
		closeFD(fd)
	}
}
