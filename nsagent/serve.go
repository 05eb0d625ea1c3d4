package nsagent

import (
	"errors"
	"io"
	"os"

	"nook/messages"
)

// serve answers the host side's requests until its socket ends, then
// exits: the host side is gone (its parent-death signal kills the init
// as the agent's thread exits).
func serve(sock int) {
	for {
		m, fds, err := messages.RecvAgent(sock)
		for _, fd := range fds {
			closeFD(fd)
		}
		if errors.Is(err, io.EOF) {
			os.Exit(codeFailed)
		}
		if err != nil {
			continue
		}
		if m.Kind == messages.AgentConnect {
			go answerConnect(sock, m)
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
