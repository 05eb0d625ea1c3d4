package nsagent

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/messages"
)

// fakeSpawner stands in for the cloner: each "helper" is a goroutine
// running behave on its own copies of the descriptors, its return value
// the status wait reports; its "pidfd" is a pipe.
type fakeSpawner struct {
	behave func(t *testing.T, sock int, stdio []int) int
	err    error
	t      *testing.T

	mu    sync.Mutex
	next  int
	exits map[int]chan int
}

func (f *fakeSpawner) spawn(files []int) (int, int, error) {
	if f.err != nil {
		return 0, 0, f.err
	}
	dups := make([]int, len(files))
	for i, fd := range files {
		d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return 0, 0, err
		}
		dups[i] = d
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, 0, err
	}
	unix.Close(p[1])
	f.mu.Lock()
	f.next++
	pid, exit := 1000+f.next, make(chan int, 1)
	f.exits[pid] = exit
	f.mu.Unlock()
	go func() {
		defer closeAll(dups)
		exit <- f.behave(f.t, dups[3], dups[:3])
	}()
	return pid, p[0], nil
}

func (f *fakeSpawner) wait(pid int) int {
	f.mu.Lock()
	exit := f.exits[pid]
	f.mu.Unlock()
	return <-exit
}

// fakeAgent serves an agent with the fake; the host side's end returned.
func fakeAgent(t *testing.T, f *fakeSpawner) (*agent, int) {
	t.Helper()
	f.t, f.exits = t, map[int]chan int{}
	host, mine, err := messages.Pair()
	if err != nil {
		t.Fatal(err)
	}
	a := newAgent(mine, f)
	served := make(chan struct{})
	go func() {
		a.serve()
		close(served)
	}()
	t.Cleanup(func() {
		unix.Close(host)
		<-served
		a.drain(5 * time.Second)
		unix.Close(mine)
	})
	return a, host
}

// request sends an Exec of args with three descriptors of /dev/null.
func request(t *testing.T, host int, id uint32, p *specs.Process) {
	t.Helper()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	fd := int(null.Fd())
	if err := messages.SendAgent(host, messages.AgentMsg{Kind: messages.AgentExec, ID: id, Exec: &messages.Exec{Process: p}}, fd, fd, fd); err != nil {
		t.Fatal(err)
	}
}

func reply(t *testing.T, host int) (messages.AgentMsg, []int) {
	t.Helper()
	m, fds, err := messages.RecvAgent(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(fds) })
	return m, fds
}

// readExec is what every fake helper does first.
func readExec(t *testing.T, sock int) *messages.Exec {
	m, fds, err := messages.Recv(sock)
	closeAll(fds)
	if err != nil || m.Kind != messages.KindExec || m.Exec == nil {
		t.Errorf("the helper got %+v, %v", m, err)
		return nil
	}
	return m.Exec
}

// An exec whose command runs: Started with the pid and a pidfd, then
// Exited with the helper's status.
func TestExecStartedAndExited(t *testing.T) {
	f := &fakeSpawner{behave: func(t *testing.T, sock int, _ []int) int {
		if e := readExec(t, sock); e != nil && e.Process.Args[0] != "sleep" {
			t.Errorf("args %q", e.Process.Args)
		}
		return 7 // the socket closes at exit, as at execve
	}}
	_, host := fakeAgent(t, f)
	request(t, host, 5, &specs.Process{Args: []string{"sleep", "1"}})
	m, fds := reply(t, host)
	if m.Kind != messages.AgentExecStarted || m.ID != 5 || m.Pid != 1001 || m.Error != "" || len(fds) != 1 {
		t.Fatalf("started: %+v with %d fds", m, len(fds))
	}
	m, _ = reply(t, host)
	if m.Kind != messages.AgentExecExited || m.ID != 5 || m.Status != 7 {
		t.Errorf("exited: %+v", m)
	}
}

// What the helper reports is the container's word: one clean line, and a
// status among Docker's.
func TestExecFailureFromTheHelper(t *testing.T) {
	for _, c := range []struct {
		code, want int
	}{{127, 127}, {126, 126}, {0, 125}, {1, 125}} {
		f := &fakeSpawner{behave: func(t *testing.T, sock int, _ []int) int {
			readExec(t, sock)
			_ = messages.Send(sock, messages.Msg{Kind: messages.KindFailed, Error: "exec x: \x1b[31mnot found\u202e\nsecond line", Code: c.code})
			return c.code
		}}
		_, host := fakeAgent(t, f)
		request(t, host, 1, &specs.Process{Args: []string{"x"}})
		m, fds := reply(t, host)
		if m.Kind != messages.AgentExecStarted || m.Code != c.want || len(fds) != 0 || m.Error != "exec x: ?[31mnot found?" {
			t.Errorf("code %d: %+v with %d fds", c.code, m, len(fds))
		}
	}
}

// A pty master is passed on only if it is one; a terminal exec without
// one fails.
func TestExecPty(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, c := range []struct {
		name string
		fd   int
		ok   bool
	}{
		{"master", int(ptmx.Fd()), true},
		{"pipe", int(r.Fd()), false},
	} {
		f := &fakeSpawner{behave: func(t *testing.T, sock int, _ []int) int {
			readExec(t, sock)
			_ = messages.Send(sock, messages.Msg{Kind: messages.KindPty}, c.fd)
			return 0
		}}
		_, host := fakeAgent(t, f)
		request(t, host, 1, &specs.Process{Args: []string{"sh"}, Terminal: true})
		m, fds := reply(t, host)
		if c.ok && (m.Error != "" || len(fds) != 2 || !isPtyMaster(fds[1])) {
			t.Errorf("%s: %+v with %d fds", c.name, m, len(fds))
		}
		if !c.ok && (!strings.Contains(m.Error, "no terminal") || len(fds) != 0) {
			t.Errorf("%s: %+v with %d fds", c.name, m, len(fds))
		}
	}
}

// A copy of the helper's socket kept by a process of the container's
// holds neither the report nor the exit back.
func TestExecSocketKeptOpen(t *testing.T) {
	stolen := make(chan int, 1)
	f := &fakeSpawner{behave: func(t *testing.T, sock int, _ []int) int {
		readExec(t, sock)
		d, _ := unix.FcntlInt(uintptr(sock), unix.F_DUPFD_CLOEXEC, 0)
		stolen <- d
		return 0
	}}
	_, host := fakeAgent(t, f)
	request(t, host, 3, &specs.Process{Args: []string{"true"}})
	done := make(chan messages.AgentMsg, 2)
	go func() {
		for range 2 {
			m, fds, _ := messages.RecvAgent(host)
			closeAll(fds)
			done <- m
		}
	}()
	defer unix.Close(<-stolen)
	for _, kind := range []messages.AgentKind{messages.AgentExecStarted, messages.AgentExecExited} {
		select {
		case m := <-done:
			if m.Kind != kind {
				t.Errorf("got %+v, want kind %d", m, kind)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no report while the socket's copy is open")
		}
	}
}

// Requests the agent cannot start are answered, not dropped, and leave
// no descriptor behind.
func TestExecRefused(t *testing.T) {
	before := countFDs(t)
	f := &fakeSpawner{err: errors.New("start the exec helper in the container: no such file or directory")}
	_, host := fakeAgent(t, f)
	request(t, host, 1, &specs.Process{Args: []string{"true"}})
	if m, _ := reply(t, host); m.Kind != messages.AgentExecStarted || m.Code != codeFailed || !strings.Contains(m.Error, "no such file") {
		t.Errorf("spawn failure: %+v", m)
	}
	request(t, host, 2, &specs.Process{})
	if m, _ := reply(t, host); m.ID != 2 || !strings.Contains(m.Error, "no command") {
		t.Errorf("no command: %+v", m)
	}
	if err := messages.SendAgent(host, messages.AgentMsg{Kind: messages.AgentExec, ID: 3, Exec: &messages.Exec{Process: &specs.Process{Args: []string{"x"}}}}, 0); err != nil {
		t.Fatal(err)
	}
	if m, _ := reply(t, host); m.ID != 3 || !strings.Contains(m.Error, "1 descriptors") {
		t.Errorf("one descriptor: %+v", m)
	}
	if n := countFDs(t); n != before+2 { // the test's socket pair
		t.Errorf("%d descriptors open, %d before", n, before)
	}
}

// drain waits for requests in flight, and only so long.
func TestDrain(t *testing.T) {
	a := newAgent(-1, nil)
	begin := time.Now()
	a.drain(time.Minute)
	if time.Since(begin) > time.Second {
		t.Error("drain waited with nothing in flight")
	}
	a.begin()
	go func() {
		time.Sleep(50 * time.Millisecond)
		a.end()
	}()
	a.drain(time.Minute)
	a.begin()
	begin = time.Now()
	a.drain(50 * time.Millisecond)
	if time.Since(begin) > 5*time.Second {
		t.Error("drain did not give up")
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "the exec helper failed",
		"plain":                      "plain",
		"a\nb":                       "a",
		"bell\a and \x9b csi":        "bell? and ? csi",
		string([]byte{0xff, 'x'}):    "?x",
		strings.Repeat("é", 400):     strings.Repeat("é", 256) + "…",
		"bidi \u202eevil\u202c text": "bidi ?evil? text",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
