package nsinit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/messages"
)

// ExecArg is the hidden first argument of the exec helper, which starts a
// process in a running container (nook exec). The agent clones it into
// the container's PID namespace and cgroup, with the container's root as
// its root, its stdio as descriptors 0-2 and its socket to the agent as 3.
const ExecArg = "__nook_exec"

// ExecMain never returns: it execs the command or exits with a status.
func ExecMain() {
	// The cgroup namespace it enters, like the credentials, capabilities
	// and filters launch sets, belongs to one thread: the one that execs.
	runtime.LockOSThread()
	defer func() {
		if r := recover(); r != nil {
			fail(fmt.Errorf("internal error in the exec helper: %v", r))
		}
	}()
	// The container's processes are its neighbours until execve: they must
	// not ptrace it or open its descriptors (the socket to the agent)
	// under /proc. execve makes the command dumpable again.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fail(fmt.Errorf("exec helper: make it undumpable: %w", err))
	}
	// The agent could not have the clone set it (see nsagent's cloner).
	// Had the agent died before this, the socket reads EOF below.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		fail(fmt.Errorf("exec helper: set parent death signal: %w", err))
	}
	m, fds, err := messages.Recv(syncFD)
	for _, fd := range fds {
		unix.Close(fd)
	}
	if err != nil || m.Kind != messages.KindExec || m.Exec == nil || len(m.Exec.Process.Args) == 0 {
		// The agent died before starting us: nobody to tell.
		if !errors.Is(err, io.EOF) {
			fmt.Fprintf(os.Stderr, "nook exec helper: unexpected message %q: %v\n", m.Kind, err)
		}
		os.Exit(codeFailed)
	}
	fail(startExec(m.Exec))
}

// startExec is start's counterpart for a running container: everything
// the container already has (namespaces, mounts, hostname) is left alone.
func startExec(e *messages.Exec) error {
	if err := joinCgroupNamespace(); err != nil {
		return err
	}
	p := e.Process
	ids := &specs.Linux{UIDMappings: e.UIDMappings, GIDMappings: e.GIDMappings}
	u, err := resolveUser("/etc", execUser(p.User), ids, e.IDNote)
	if err != nil {
		return err
	}
	env := defaultEnv(p.Env, u, e.Hostname, p.Terminal)
	if err := execWorkdir(p.Cwd); err != nil {
		return err
	}
	// The agent passed the caller's stdio (or /dev/null) as 0-2.
	if err := setupStdio(p, true); err != nil {
		return err
	}
	path, err := lookPath(p.Args[0], env)
	if err != nil {
		return err
	}
	return launch(command{proc: p, seccomp: e.Seccomp, user: u, path: path, env: env})
}

// joinCgroupNamespace enters the cgroup namespace of the container's PID 1,
// which this process can name without /proc: it is in its PID namespace.
// The agent cannot clone the helper from inside that namespace: where
// cgroup2 is mounted with nsdelegate (systemd's default) CLONE_INTO_CGROUP
// needs the source cgroup (the agent's, outside the container's) to be
// visible from the cloning thread's cgroup namespace.
func joinCgroupNamespace() error {
	fd, err := unix.PidfdOpen(1, 0)
	if err != nil {
		return fmt.Errorf("open the container's PID 1: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("enter the container's cgroup namespace: %w", err)
	}
	return nil
}

// execUser is --user for resolveUser: the name as given, or else the ids.
func execUser(u specs.User) string {
	if u.Username != "" {
		return u.Username
	}
	return fmt.Sprintf("%d:%d", u.UID, u.GID)
}

// execWorkdir changes to the working directory, which must exist: unlike
// docker run, docker exec does not create it, and fails with 126.
func execWorkdir(dir string) error {
	if dir == "" {
		dir = "/"
	}
	if err := unix.Chdir(dir); err != nil {
		return withCode(codeCannotExec, "chdir to working directory %s: %v", dir, err)
	}
	return nil
}
