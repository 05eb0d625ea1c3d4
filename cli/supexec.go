package cli

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/container"
	"nook/messages"
	"nook/spec"
	"nook/supervisor"
)

// onRunning is the container's command running: from now on exec works,
// and the command that started the container can return.
func (s *supervised) onRunning(c *container.Running, cfg *messages.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running, s.runCfg = c, cfg
	if s.ready != nil {
		// From now on nook's own words go to the log.
		_ = dup2(s.errw, 2)
		_, _ = s.ready.WriteString("ready\n")
		s.ready.Close()
		s.ready = nil
		go pageOutBinary()
	}
}

// Exec starts req in the container (supervisor.Handler) and answers on c.
func (s *supervised) Exec(req supervisor.ExecRequest, files []*os.File, c *supervisor.Conn) {
	defer closeAll(files)
	s.mu.Lock()
	run, cfg := s.running, s.runCfg
	s.mu.Unlock()
	if run == nil {
		_ = c.Send(supervisor.Reply{Error: fmt.Sprintf("container %s is not running", s.ctr.Name), Code: exitFailed})
		return
	}
	e := container.ExecSpec{Process: execProcess(cfg.Spec.Process, req), Seccomp: cfg.Seccomp}
	if !req.Tty && len(files) == 3 {
		e.Stdin, e.Stdout, e.Stderr = files[0], files[1], files[2]
	}
	p, err := run.Exec(e)
	if err != nil {
		r := supervisor.Reply{Error: err.Error(), Code: exitFailed}
		var ce *container.Error
		if errors.As(err, &ce) {
			r.Error, r.Code = ce.Msg, ce.Code
		}
		_ = c.Send(r)
		return
	}
	closeAll(files)
	files = nil
	var pty []*os.File
	if p.Pty() != nil {
		pty = append(pty, p.Pty())
	}
	err = c.Send(supervisor.Reply{Started: true}, pty...)
	if p.Pty() != nil {
		p.Pty().Close()
	}
	if req.Detach || err != nil {
		go func() { _, _ = p.Wait() }()
		return
	}
	go relaySignals(c, p)
	code, _ := p.Wait()
	_ = c.Send(supervisor.Reply{Exited: true, Code: code})
}

// relaySignals passes the client's signals on to the exec'd process until
// the connection ends.
func relaySignals(c *supervisor.Conn, p *container.ExecProcess) {
	for {
		var r supervisor.Request
		files, err := c.Recv(&r)
		closeAll(files)
		if err != nil {
			return
		}
		if r.Op == "signal" {
			_ = p.Signal(syscall.Signal(r.Signal))
		}
	}
}

// execProcess is the container's process with an exec's changes: the
// command, its environment added, working directory, user, terminal.
func execProcess(base *specs.Process, req supervisor.ExecRequest) *specs.Process {
	p := *base
	p.Args = req.Args
	p.Env = spec.MergeEnv(base.Env, req.Env)
	if req.Cwd != "" {
		p.Cwd = req.Cwd
	}
	if req.User != "" {
		p.User = specs.User{Username: req.User}
	}
	p.Terminal = req.Tty
	p.ConsoleSize = nil
	if req.Tty && req.Width > 0 {
		p.ConsoleSize = &specs.Box{Width: req.Width, Height: req.Height}
	}
	return &p
}
