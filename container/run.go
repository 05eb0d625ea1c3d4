// Package container is the host side of one container run: it clones the
// init into new namespaces, writes the id maps, hands over the config,
// relays signals and stdio, and turns the outcome into an exit status.
package container

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/caps"
	"nook/cgroups"
	"nook/messages"
	"nook/nsinit"
	"nook/ports"
	"nook/slirp"
	"nook/userns"
)

// Exit statuses, as Docker's.
const (
	CodeFailed = 125
)

// Run describes one foreground run.
type Run struct {
	Config *messages.Config
	// Helpers, when set, write a multi-id map (newuidmap/newgidmap);
	// otherwise the single mapping is written by the kernel clone path.
	Helpers *userns.Helpers
	// SubUIDs and SubGIDs are the caller's /etc/subuid and /etc/subgid
	// entries the helpers' maps come from, for explaining their failure.
	SubUIDs, SubGIDs []userns.Range
	// Stdin, Stdout, Stderr are the caller's.
	Stdin, Stdout, Stderr *os.File
	// Cgroup, when set, is where the init is born (CLONE_INTO_CGROUP, so
	// no process of the container ever runs outside it); it is removed
	// when the container is gone.
	Cgroup *cgroups.Cgroup
	// Started, when set, is called with the init's host pid once it runs;
	// the function it returns is called when the container is gone.
	Started func(pid int) func()
	// OOMKilled reports, after Start, that the kernel's OOM killer killed
	// a process of the container.
	OOMKilled bool
	// Prepare, when set, is called once the init is cloned and returns the
	// config to send it instead of Config, which then only has to be right
	// about what the clone needs: namespaces, id maps, terminal, stdin and
	// --init. The init's own start (a Go runtime, a few milliseconds) and
	// the id helpers run meanwhile, so work such as finding an image and
	// making its root filesystem costs no time of its own.
	Prepare func() (*messages.Config, error)
	// OnNetwork, when set, is called once the network is up (published
	// ports start relaying into it); what it returns is called before the
	// network is closed.
	OnNetwork func(d ports.Dialer) func()
	// MapGIDs, when set, has the gid map written elsewhere (by the command
	// that started a supervisor, idle meanwhile: the two id-map helpers
	// then start side by side instead of in turn); the wait it returns
	// fails with a one-line reason, or userns.ErrNotDelegated to have it
	// written here after all.
	MapGIDs func(pid int, gids []specs.LinuxIDMapping) (wait func() error)
	// Agent keeps a process of nook's in the container's namespaces but
	// outside its PID namespace while it runs (nsagent): published TCP
	// ports then come in through the kernel's stack, not the user-mode one,
	// and more processes can be started in the container (OnRunning).
	Agent bool
	// OnRunning, when set (with Agent), is called in a goroutine of its
	// own once the container's command runs, with a handle valid until
	// Start returns.
	OnRunning func(*Running)
}

// Error is a failure of nook itself or of the command's start, with the
// status nook should exit with.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func failed(format string, args ...any) error {
	return &Error{Code: CodeFailed, Msg: fmt.Sprintf(format, args...)}
}

// Start runs the container in the foreground and returns its exit status.
func (r *Run) Start() (int, error) {
	closeInherited()
	if r.Cgroup != nil {
		defer r.removeCgroup()
	}
	hostSock, initSock, err := messages.Pair()
	if err != nil {
		return CodeFailed, err
	}
	defer unix.Close(hostSock)
	sock := os.NewFile(uintptr(initSock), "init-socket")
	defer sock.Close()
	io, err := r.stdio()
	if err != nil {
		return CodeFailed, err
	}
	defer io.close()
	path, exe, err := r.initExecutable()
	if err != nil {
		return CodeFailed, err
	}
	if exe != nil {
		defer exe.Close()
	}
	proc, ag, err := r.clone(path, [4]*os.File{io.child[0], io.child[1], io.child[2], sock})
	sock.Close()
	io.closeChildEnds()
	if err != nil {
		return CodeFailed, r.explainStart(err)
	}
	if ag != nil {
		defer ag.close()
	}
	// The id-map helpers first: theirs is the longest wait of the start
	// (two setuid programs, a millisecond or two each), and the rest of
	// the start runs meanwhile.
	maps, err := r.startMaps(proc.pid)
	if err != nil {
		proc.kill()
		return CodeFailed, err
	}
	sigs, stopSignals := notifySignals()
	defer stopSignals()
	nw, err := r.begin(proc, ag, hostSock, maps)
	if nw != nil {
		// Only once the container is gone: its processes use the network
		// until the last one exits.
		defer nw.Close()
		if r.OnNetwork != nil && err == nil {
			defer r.OnNetwork(r.dialer(nw, ag))()
		}
	}
	if err != nil {
		proc.kill()
		return CodeFailed, err
	}
	if r.Started != nil {
		defer r.Started(proc.target())()
	}
	code, err := r.supervise(proc, hostSock, io, sigs, r.onRunning(ag))
	if r.Cgroup != nil {
		r.OOMKilled, _ = r.Cgroup.OOMKilled()
	}
	return code, err
}

// begin brings the container up to its command's start: the network, the
// id maps and the config, and with an agent the init's pid.
func (r *Run) begin(proc *process, ag *agent, hostSock int, maps *idMaps) (*slirp.Network, error) {
	if ag != nil {
		ag.startReading()
	}
	waitNetwork, err := r.startNetwork(hostSock)
	if err != nil {
		// The helpers are not left behind: they fail once the caller
		// has killed the init, and are reaped here.
		proc.kill()
		_ = r.waitMaps(maps)
		return nil, err
	}
	err = r.handOver(hostSock, maps)
	if err != nil {
		// The init dies with it, which also ends the network's start.
		proc.kill()
	}
	nw, nerr := waitNetwork()
	if err == nil {
		err = nerr
	}
	if ag != nil && err == nil {
		if err = <-ag.started; err == nil {
			proc.init, proc.initFD = ag.initPid, ag.pidfd
		}
	}
	return nw, err
}

// clone starts the init, or the agent that starts it.
func (r *Run) clone(path string, files [4]*os.File) (*process, *agent, error) {
	attr := r.sysProcAttr()
	fds := []int{fdOf(files[0]), fdOf(files[1]), fdOf(files[2]), fdOf(files[3])}
	if !r.Agent {
		proc, err := spawn(path, []string{"nook", nsinit.Arg}, fds, attr)
		return proc, nil, err
	}
	ag, child, err := newAgent()
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(child)
	fds = append(fds, child)
	flags := attr.Cloneflags
	attr.Cloneflags &^= agentFlags
	if attr.UseCgroupFD {
		// The init is born in the container's cgroup, the agent is not.
		fds = append(fds, attr.CgroupFD)
		attr.UseCgroupFD = false
	}
	proc, err := spawn(path, ag.args(flags, len(fds) == 6), fds, attr)
	if err != nil {
		ag.close()
		return nil, nil, err
	}
	return proc, ag, nil
}

// dialer is how published ports reach the container.
func (r *Run) dialer(nw *slirp.Network, ag *agent) ports.Dialer {
	if ag != nil {
		return agentDialer{a: ag, nw: nw}
	}
	return nw
}

// removeCgroup takes the container's cgroup away with whatever is left in
// it; a failure here must not change the command's exit status.
func (r *Run) removeCgroup() {
	r.Cgroup.Close()
	if err := r.Cgroup.Remove(); err != nil {
		fmt.Fprintf(r.Stderr, "nook: remove cgroup: %v\n", err)
	}
}

func (r *Run) sysProcAttr() *syscall.SysProcAttr {
	s := r.Config.Spec
	attr := &syscall.SysProcAttr{
		Cloneflags: cloneFlags(s),
		// The container dies with nook: PID 1 gets SIGKILL, which takes
		// its whole PID namespace with it.
		Pdeathsig: syscall.SIGKILL,
	}
	if r.Cgroup != nil {
		attr.UseCgroupFD, attr.CgroupFD = true, r.Cgroup.FD()
	}
	if hasUserNS(s) {
		// The kernel grants a user namespace's capabilities at execve only
		// to its uid 0, and the init is not that yet (newuidmap runs after
		// the clone) or never (a sandbox keeps the caller's uid): ambient
		// capabilities carry them across the init's execve instead.
		attr.AmbientCaps = caps.Ambient()
	}
	if r.Helpers == nil && len(s.Linux.UIDMappings) > 0 {
		attr.UidMappings = sysMap(s.Linux.UIDMappings)
		attr.GidMappings = sysMap(s.Linux.GIDMappings)
		attr.GidMappingsEnableSetgroups = false
	}
	return attr
}

// handOver runs Prepare while the id maps are written, then sends the
// config, which is also the init's signal to go.
func (r *Run) handOver(sock int, maps *idMaps) error {
	var prepErr error
	if r.Prepare != nil {
		var cfg *messages.Config
		if cfg, prepErr = r.Prepare(); prepErr == nil {
			r.Config = cfg
		}
	}
	if err := r.waitMaps(maps); err != nil {
		return err
	}
	if prepErr != nil {
		return prepErr
	}
	return messages.Send(sock, messages.Msg{Kind: messages.KindStart, Config: r.Config})
}

// idMaps is the writing of the id maps under way.
type idMaps struct {
	pid     int
	helpers *userns.Mapping
	gids    func() error // MapGIDs' wait, when it writes the gid map
}

// startMaps starts the helpers that write a multi-id map; a nil idMaps
// is none to wait for.
func (r *Run) startMaps(pid int) (*idMaps, error) {
	if r.Helpers == nil {
		return nil, nil
	}
	l := r.Config.Spec.Linux
	m := &idMaps{pid: pid}
	gids := l.GIDMappings
	if r.MapGIDs != nil && len(gids) > 0 {
		m.gids, gids = r.MapGIDs(pid, gids), nil
	}
	var err error
	if m.helpers, err = r.Helpers.Start(pid, l.UIDMappings, gids); err != nil {
		return nil, failed("cannot write the id maps: %v", err)
	}
	return m, nil
}

func (r *Run) waitMaps(m *idMaps) error {
	if m == nil {
		return nil
	}
	err := m.helpers.Wait()
	if err == nil && m.gids != nil {
		err = r.waitDelegatedGIDs(m)
	}
	if err != nil {
		var msg *delegatedError
		if errors.As(err, &msg) {
			return failed("cannot write the id maps: %s", msg.text)
		}
		return failed("cannot write the id maps: %s", userns.ExplainHelperFailure(err, *r.Helpers, r.SubUIDs, r.SubGIDs))
	}
	return nil
}

// waitDelegatedGIDs waits for MapGIDs' answer, writing the map here when
// nobody else can.
func (r *Run) waitDelegatedGIDs(m *idMaps) error {
	err := m.gids()
	if errors.Is(err, userns.ErrNotDelegated) {
		own, serr := r.Helpers.Start(m.pid, nil, r.Config.Spec.Linux.GIDMappings)
		if serr != nil {
			return serr
		}
		return own.Wait()
	}
	if err != nil {
		return &delegatedError{err.Error()}
	}
	return nil
}

// delegatedError is MapGIDs' reason, explained already.
type delegatedError struct{ text string }

func (e *delegatedError) Error() string { return e.text }

func (r *Run) explainStart(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) && hasUserNS(r.Config.Spec) {
		return failed("cannot create a user namespace: %s", userns.Explain("/proc", errno))
	}
	return failed("start container: %v", err)
}

var nsFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
}

func cloneFlags(s *specs.Spec) uintptr {
	var f uintptr
	for _, ns := range s.Linux.Namespaces {
		f |= nsFlags[ns.Type]
	}
	return f
}

func hasUserNS(s *specs.Spec) bool { return cloneFlags(s)&unix.CLONE_NEWUSER != 0 }

func sysMap(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}
