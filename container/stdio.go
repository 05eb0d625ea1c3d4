package container

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// stdio is how the caller's standard streams reach the command. Pipes and
// /dev/null are handed over as they are (fast, and harmless). Anything else
// (a terminal, a file, a socket) is relayed through a pipe, so the command
// never holds the caller's terminal (no TIOCSTI, no termios games) or a
// descriptor it could reopen read-write through /proc/self/fd.
type stdio struct {
	child      [3]*os.File
	childEnds  []*os.File
	outputs    sync.WaitGroup
	master     *os.File
	restore    func()
	mu         sync.Mutex
	terminalIn *os.File
}

func (r *Run) stdio() (*stdio, error) {
	s := &stdio{}
	if r.Config.Spec.Process.Terminal {
		// The init replaces all three with the pty slave; until then its
		// stderr is the caller's, for --debug.
		s.child[2] = r.Stderr
		return s, nil
	}
	if r.Config.Stdin {
		if err := s.input(r.Stdin); err != nil {
			return nil, err
		}
	}
	for i, f := range []*os.File{r.Stdout, r.Stderr} {
		if err := s.output(i+1, f); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func passable(f *os.File) bool {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return true
	case unix.S_IFCHR:
		return unix.Major(st.Rdev) == 1 && unix.Minor(st.Rdev) == 3 // /dev/null
	}
	return false
}

func (s *stdio) input(f *os.File) error {
	if passable(f) {
		s.child[0] = f
		return nil
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("stdin pipe: %w", err)
	}
	s.child[0] = rd
	s.childEnds = append(s.childEnds, rd)
	go func() {
		_, _ = io.Copy(wr, f)
		wr.Close()
	}()
	return nil
}

func (s *stdio) output(fd int, f *os.File) error {
	if passable(f) {
		s.child[fd] = f
		return nil
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("output pipe: %w", err)
	}
	s.child[fd] = wr
	s.childEnds = append(s.childEnds, wr)
	s.outputs.Add(1)
	go func() {
		defer s.outputs.Done()
		_, _ = io.Copy(f, rd)
		rd.Close()
	}()
	return nil
}

// closeChildEnds drops nook's copies of the pipe ends the init now holds,
// so the relays see EOF when the container's last process is gone.
func (s *stdio) closeChildEnds() {
	for _, f := range s.childEnds {
		f.Close()
	}
	s.childEnds = nil
}

// attachPty starts relaying between the caller's terminal and the pty
// master the init sent, in raw mode when the caller is on a terminal.
func (s *stdio) attachPty(master, in, out *os.File, interactive bool) {
	s.mu.Lock()
	s.master = master
	if interactive && term.IsTerminal(int(in.Fd())) {
		if st, err := term.MakeRaw(int(in.Fd())); err == nil {
			s.terminalIn = in
			s.restore = func() { _ = term.Restore(int(in.Fd()), st) }
		}
	}
	s.mu.Unlock()
	s.resize()
	if interactive {
		go func() { _, _ = io.Copy(master, in) }()
	}
	s.outputs.Add(1)
	go func() {
		defer s.outputs.Done()
		_, _ = io.Copy(out, master)
	}()
}

// resize copies the caller's terminal size to the pty; false without a pty.
func (s *stdio) resize() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master == nil {
		return false
	}
	if s.terminalIn != nil {
		if ws, err := unix.IoctlGetWinsize(int(s.terminalIn.Fd()), unix.TIOCGWINSZ); err == nil {
			_ = unix.IoctlSetWinsize(int(s.master.Fd()), unix.TIOCSWINSZ, ws)
		}
	}
	return true
}

// finish waits (briefly: a leftover writer must not hang nook) for the
// output relays, then restores the caller's terminal.
func (s *stdio) finish() {
	done := make(chan struct{})
	go func() {
		s.outputs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	s.close()
}

func (s *stdio) close() {
	s.closeChildEnds()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.restore != nil {
		s.restore()
		s.restore = nil
	}
}
