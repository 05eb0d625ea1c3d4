// Package headstart starts detached containers' supervisors: nook run
// again, in a session of its own, which outlives the command that started
// it (as conmon does for podman; see cli's supervise.go for what it does).
//
// The supervisor's Go start (the whole CLI's package initialization) is
// the longest step of `nook run -d` before the container's own, so when
// nook's command line looks like run -d this package starts one from its
// init function: while the rest of nook's packages initialize, the front
// command parses its flags and writes the record. The supervisor then
// reads the record on a pipe (Hand). A line that only looked detached, a
// usage error or a refused flag closes that pipe (Abandon), and the
// supervisor exits at its EOF without a word; so it does when the front
// command dies.
package headstart

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"nook/initbin"
	"nook/userns"
)

// The supervisor's environment and descriptors.
const (
	// Env names the container a re-executed nook run supervises, or is
	// Pending for one started before its container was recorded.
	Env     = "NOOK_SUPERVISE"
	Pending = "-"
	// ReadyFD is the supervisor's end of the pipe that says the container
	// runs ("ready\n"); RecordFD the pipe it reads a pending record from.
	ReadyFD  = 3
	RecordFD = 4
	// ProgramFD and the next descriptor hold the init program's copy and
	// the pipe that says it is sealed (initbin.Inherit), when ProgramEnv
	// is ProgramFD.
	ProgramFD  = 5
	ProgramEnv = "NOOK_INIT_FD"
)

// early is the supervisor init started, if any.
var early *Supervisor

func init() {
	if len(os.Args) < 2 || os.Getenv(Env) != "" || !LooksDetached(os.Args[1:]) {
		return
	}
	// The init program's copy, to hand over; it is written once the
	// command is past its flags and record, not beside them and the
	// supervisor's start, which already share two processors here.
	initbin.Reserve()
	dir, err := os.Getwd()
	if err != nil {
		return // run -d tries again, and says why
	}
	early, _ = Spawn(os.Stderr, os.Args[1:], dir, os.Environ(), Pending)
}

// LooksDetached: `run` with -d, --detach or a cluster of short flags with d
// anywhere after it, and no -h or --help.
func LooksDetached(args []string) bool {
	return len(args) > 0 && args[0] == "run" && slices.ContainsFunc(args[1:], isDetachFlag) &&
		!slices.Contains(args, "--help") && !slices.Contains(args, "-h")
}

func isDetachFlag(arg string) bool {
	switch {
	case arg == "-d" || arg == "--detach" || arg == "--detach=true":
		return true
	case len(arg) > 2 && arg[0] == '-' && arg[1] != '-':
		for _, r := range arg[1:] {
			if r < 'a' || r > 'z' {
				return false
			}
		}
		return strings.ContainsRune(arg, 'd')
	}
	return false
}

// Early returns the supervisor init started and hands it to the caller,
// which must then Hand or Abandon it; nil when there is none or it was
// taken.
func Early() *Supervisor {
	s := early
	early = nil
	return s
}

// Unclaimed abandons the supervisor init started, unless Early took it.
func Unclaimed() {
	if s := Early(); s != nil {
		s.Abandon()
	}
}

// Supervisor is a supervisor on its way. Until the container runs its
// stderr is the caller's, so a failure to start reads exactly as it
// would in the foreground.
type Supervisor struct {
	Dir    string // its working directory
	ended  bool   // abandoned or waited for
	cmd    *exec.Cmd
	ready  *os.File // read end of its ReadyFD
	record *os.File // write end of its RecordFD, when Pending
	copied chan struct{}
}

// Spawn starts the supervisor of container id (or, with Pending, of the
// one Hand names) with args in dir and env, its stderr copied to stderr.
func Spawn(stderr io.Writer, args []string, dir string, env []string, id string) (*Supervisor, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find nook's own binary: %w", err)
	}
	var ends pipes
	defer ends.closeChildEnds()
	readyR, readyW, err := ends.childWrites()
	if err != nil {
		return nil, err
	}
	errR, errW, err := ends.childWrites()
	if err != nil {
		readyR.Close()
		return nil, err
	}
	s := &Supervisor{Dir: dir, ready: readyR, copied: make(chan struct{})}
	// By its path, not /proc/self/exe: the supervisor then shows as
	// "nook" in ps.
	s.cmd = exec.Command(self, args...)
	s.cmd.Dir, s.cmd.Env = dir, append(withoutEnv(env, Env), Env+"="+id)
	s.cmd.Stderr, s.cmd.ExtraFiles = errW, []*os.File{readyW, nil}
	if id == Pending {
		if s.cmd.ExtraFiles[1], s.record, err = ends.childReads(); err != nil {
			readyR.Close()
			errR.Close()
			return nil, err
		}
	}
	if prog, sealed, ok := initbin.Handoff(); ok {
		// Its copy of the init program, which it would otherwise make
		// again, still being made (initbin.Inherit).
		s.cmd.ExtraFiles = append(s.cmd.ExtraFiles, prog, sealed)
		s.cmd.Env = append(s.cmd.Env, ProgramEnv+"="+strconv.Itoa(ProgramFD))
	}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := s.cmd.Start(); err != nil {
		readyR.Close()
		errR.Close()
		if s.record != nil {
			s.record.Close()
		}
		return nil, fmt.Errorf("start a container's supervisor: %w", err)
	}
	go func() {
		_, _ = io.Copy(stderr, errR)
		errR.Close()
		close(s.copied)
	}()
	return s, nil
}

// Hand gives a Pending supervisor its container's record, one line.
func (s *Supervisor) Hand(record []byte) error {
	_, err := s.record.Write(append(record, '\n'))
	if err != nil {
		s.record.Close()
		s.record = nil
	}
	return err
}

// Abandon ends a supervisor that was never handed its container: it
// exits at its pipe's EOF.
func (s *Supervisor) Abandon() {
	if s.ended {
		return
	}
	s.ended = true
	if s.record != nil {
		s.record.Close()
	}
	s.ready.Close()
	_ = s.cmd.Wait()
	<-s.copied
}

// ErrExited is Wait's error for a supervisor that exited before the
// container ran; an *exec.ExitError wrapped in it carries its status.
var ErrExited = errors.New("exited before the container ran")

// Wait returns nil once the container runs, or the supervisor's exit.
// Meanwhile it writes the container's gid map when the supervisor asks
// (see GIDMapper), with mapGIDs: nil for a supervisor never handed a
// record, or to have it write its own.
func (s *Supervisor) Wait(mapGIDs func(pid int, m []specs.LinuxIDMapping) error) error {
	s.ended = true
	defer s.ready.Close()
	if s.record != nil {
		defer s.record.Close()
	}
	r := bufio.NewReader(s.ready)
	for {
		line, _ := r.ReadString('\n')
		switch {
		case line == "ready\n":
			<-s.copied
			_ = s.cmd.Process.Release()
			return nil
		case strings.HasPrefix(line, gidRequest):
			s.answerGIDs(line, mapGIDs)
			continue
		}
		werr := s.cmd.Wait()
		<-s.copied
		return fmt.Errorf("%w: %w", ErrExited, werr)
	}
}

func (s *Supervisor) answerGIDs(line string, mapGIDs func(int, []specs.LinuxIDMapping) error) {
	if s.record == nil {
		return // nobody to answer: the supervisor reads EOF and maps itself
	}
	if mapGIDs == nil {
		_, _ = s.record.WriteString("unavailable\n")
		return
	}
	answer := gidsMapped
	pid, m, err := parseGIDRequest(line)
	if err == nil {
		err = mapGIDs(pid, m)
	}
	switch {
	case errors.Is(err, userns.ErrNotDelegated):
		answer = "unavailable"
	case err != nil:
		answer = gidsFailed + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	_, _ = s.record.WriteString(answer + "\n")
}

// pipes makes pipes whose child ends are closed in the parent once the
// child has them.
type pipes struct{ child []*os.File }

// childWrites is a pipe the child writes to.
func (p *pipes) childWrites() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err == nil {
		p.child = append(p.child, w)
	}
	return r, w, err
}

// childReads is a pipe the child reads from.
func (p *pipes) childReads() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err == nil {
		p.child = append(p.child, r)
	}
	return r, w, err
}

func (p *pipes) closeChildEnds() {
	for _, f := range p.child {
		f.Close()
	}
}

func withoutEnv(env []string, name string) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}
