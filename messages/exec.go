package messages

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Exec is a process to start in a running container (nook exec). The host
// side sends it to the agent (AgentExec), and the agent to the exec helper
// it starts in the container's PID namespace (an Exec message on the
// helper's own socket), which starts it as the init starts the container's
// command:
//
//	agent                         exec helper (nsinit.ExecArg)
//	Exec{Exec} ──────────────►    enters the cgroup namespace, resolves the
//	                              user, workdir, stdio (pty), caps, filters
//	              ◄───────────    Pty{} + the pty master fd   (Terminal)
//	              ◄───────────    Failed{Error, Code}         (setup or exec failed)
//	              ◄─── EOF ───    exec succeeded (the socket is close-on-exec)
//
// The helper runs as the container's root among the container's processes:
// the agent reads its side as the container's, never trusting it.
type Exec struct {
	// Process is the command with its environment (complete), working
	// directory, user (Username, resolved in the container's /etc, or
	// else UID and GID), terminal, capabilities and no_new_privs.
	Process *specs.Process
	// Seccomp installs nook's seccomp filter, as the container's command has it.
	Seccomp bool
	// Hostname is the container's, for $HOSTNAME when Env has none.
	Hostname string
	// UIDMappings and GIDMappings are the container's id maps, IDNote
	// why only one id may be mapped: the user is checked against them.
	UIDMappings, GIDMappings []specs.LinuxIDMapping
	IDNote                   string
}

func (e *encoder) exec(x *Exec) {
	e.flag(x != nil)
	if x == nil {
		return
	}
	e.process(x.Process)
	e.flag(x.Seccomp)
	e.str(x.Hostname)
	e.idmap(x.UIDMappings)
	e.idmap(x.GIDMappings)
	e.str(x.IDNote)
}

func (d *decoder) exec() *Exec {
	if !d.flag() {
		return nil
	}
	x := &Exec{Process: d.process(), Seccomp: d.flag(), Hostname: d.str()}
	x.UIDMappings = d.idmap()
	x.GIDMappings = d.idmap()
	x.IDNote = d.str()
	return x
}
