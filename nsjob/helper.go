package nsjob

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
	"nook/layer"
)

// Arg is the hidden first argument of the helper process.
const Arg = "__nook_nsjob"

// sockFD is where Start puts the helper's end of the socket.
const sockFD = 3

// Main runs the helper side and exits (called from main.go, before the CLI).
func Main() {
	if err := helperMain(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "nook: nsjob helper: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func helperMain(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: " + Arg + " PARENT-PID")
	}
	if err := dieWithParent(args[0]); err != nil {
		return err
	}
	unix.CloseOnExec(sockFD)
	s := &server{sock: sockFD, do: do, fatal: func(err error) {
		// Without its reply a caller would wait forever: the exit turns
		// that wait into an error.
		fmt.Fprintf(os.Stderr, "nook: nsjob helper: %v\n", err)
		os.Exit(1)
	}}
	return s.serve()
}

// dieWithParent makes sure the helper does not outlive nook. Start sets
// the parent-death signal at the clone already; setting it again costs
// nothing and holds even if a credential change cleared it. A parent that
// died before then is seen as a new parent pid.
func dieWithParent(ppid string) error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent-death signal: %w", err)
	}
	if strconv.Itoa(os.Getppid()) != ppid {
		return errors.New("nook exited before the helper started")
	}
	return nil
}

// server is the helper's side of the socket.
type server struct {
	sock  int
	do    func(request) reply
	fatal func(error) // a reply could not be sent
	mu    sync.Mutex  // one send at a time
}

// serve answers the go message, then runs every request in a goroutine of
// its own until the socket ends.
func (s *server) serve() error {
	buf := make([]byte, maxMsg)
	var first request
	if err := recv(s.sock, buf, &first); err != nil {
		return fmt.Errorf("wait for the id maps: %w", err)
	}
	if first.Op != opGo {
		return fmt.Errorf("first request is %q, not %q", first.Op, opGo)
	}
	if err := s.reply(goReply()); err != nil {
		return err
	}
	for {
		var req request
		err := recv(s.sock, buf, &req)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("receive request: %w", err)
		}
		go func() {
			rep := s.do(req)
			rep.ID = req.ID
			if err := s.reply(rep); err != nil {
				s.fatal(err)
			}
		}()
	}
}

func (s *server) reply(rep reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := send(s.sock, rep)
	if errors.Is(err, errTooLarge) || errors.Is(err, unix.EMSGSIZE) {
		err = send(s.sock, shrink(rep))
	}
	if err != nil {
		return fmt.Errorf("send reply: %w", err)
	}
	return nil
}

// goReply checks that the parent wrote the id maps before it said go.
func goReply() reply {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err == nil && len(strings.TrimSpace(string(b))) == 0 {
		err = errors.New("the helper's uid map is empty")
	}
	if err != nil {
		return errorReply(0, err)
	}
	return reply{}
}

// do runs one request.
func do(req request) reply {
	switch req.Op {
	case opUnpack:
		res, err := unpack(req.Blob, req.Dir, req.Name, req.Chown)
		if err != nil {
			return errorReply(req.ID, err)
		}
		return reply{Result: &res}
	case opRemoveAll:
		return result(req.ID, removeAll(req.Dir))
	case opFlatten:
		return result(req.ID, flatten(req.Dir, req.Layers, isWhiteout))
	}
	return errorReply(req.ID, fmt.Errorf("unknown request %q", req.Op))
}

func result(id uint64, err error) reply {
	if err != nil {
		return errorReply(id, err)
	}
	return reply{}
}

// unpack returns layer's errors unwrapped: they name the layer already.
func unpack(blob, dir, name string, chown bool) (UnpackResult, error) {
	f, err := os.Open(blob)
	if err != nil {
		return UnpackResult{}, fmt.Errorf("layer %s: %w", name, err)
	}
	defer f.Close()
	var notes []string
	res, err := layer.Unpack(f, dir, name, layer.Options{Chown: chown, Notes: func(s string) { notes = append(notes, s) }})
	if err != nil {
		return UnpackResult{}, err
	}
	return UnpackResult{Result: res, Notes: capNotes(notes)}, nil
}
