package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
	"nook/lifecycle"
	"nook/supervisor"
)

type execCmd struct {
	Interactive bool     `short:"i" help:"Keep stdin open and connected to the command."`
	TTY         bool     `short:"t" help:"Allocate a pseudo-terminal."`
	Detach      bool     `short:"d" help:"Start the command and return."`
	Env         []string `short:"e" placeholder:"KEY=VALUE" help:"Set an environment variable (KEY alone takes the caller's value)."`
	EnvFile     []string `placeholder:"FILE" help:"Read environment variables from FILE."`
	Workdir     string   `short:"w" placeholder:"DIR" help:"Working directory inside the container."`
	User        string   `short:"u" placeholder:"USER[:GROUP]" help:"User (name or uid) and group to run as (default: the container's)."`
	Container   string   `arg:"" help:"Container (name, id or id prefix)."`
	Command     []string `arg:"" passthrough:"partial" help:"Command and arguments."`
}

func (c *execCmd) Run(g *globals) error {
	req, err := c.request()
	if err != nil {
		return err
	}
	ls, err := openLifecycle()
	if err != nil {
		return err
	}
	ctr, err := ls.Resolve(c.Container)
	if err != nil {
		return err
	}
	if ctr.State != lifecycle.Running || ctr.Supervisor == nil {
		return fmt.Errorf("container %s is not running: start it first (nook start %s)", ctr.Name, ctr.Name)
	}
	conn, err := supervisor.Dial(ctr.Supervisor.Socket)
	if err != nil {
		return err
	}
	defer conn.Close()
	x := &execSession{c: c, g: g, conn: conn}
	return x.run(req)
}

// request is the exec as the supervisor takes it: -e KEY resolved here.
func (c *execCmd) request() (supervisor.ExecRequest, error) {
	args := c.Command
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return supervisor.ExecRequest{}, usage("no command given: nook exec CONTAINER COMMAND...")
	}
	if c.Workdir != "" && c.Workdir[0] != '/' {
		return supervisor.ExecRequest{}, fmt.Errorf("invalid --workdir %q: the working directory must be an absolute path", c.Workdir)
	}
	if c.Detach && (c.TTY || c.Interactive) {
		return supervisor.ExecRequest{}, usage("-d and -i/-t conflict: a detached exec has no terminal or stdin")
	}
	env, err := (&isolation{Env: c.Env, EnvFile: c.EnvFile}).environment()
	if err != nil {
		return supervisor.ExecRequest{}, err
	}
	r := supervisor.ExecRequest{Args: args, Env: env, Cwd: c.Workdir, User: c.User, Tty: c.TTY, Detach: c.Detach}
	if c.TTY {
		if sz := consoleSize(); sz != nil {
			r.Width, r.Height = sz.Width, sz.Height
		}
	}
	return r, nil
}

// execSession is the caller's side of one exec: its stdio relayed through
// pipes or a pty (never handed over), its signals forwarded.
type execSession struct {
	c       *execCmd
	g       *globals
	conn    *supervisor.Conn
	outputs sync.WaitGroup
	restore func()
}

func (x *execSession) run(req supervisor.ExecRequest) error {
	var child []*os.File
	if !req.Tty && !req.Detach {
		var err error
		if child, err = x.pipes(); err != nil {
			return err
		}
	}
	err := x.conn.Send(supervisor.Request{Op: "exec", Exec: &req}, child...)
	for _, f := range child {
		f.Close()
	}
	if err != nil {
		return err
	}
	var started supervisor.Reply
	files, err := x.conn.Recv(&started)
	if err != nil {
		return err
	}
	if started.Error != "" {
		closeAll(files)
		return execFailure(started)
	}
	if req.Detach {
		return nil
	}
	if req.Tty && len(files) == 1 {
		x.attach(files[0])
		defer files[0].Close()
	}
	defer x.finish()
	return x.wait()
}

// pipes makes the command's stdin (with -i), stdout and stderr, relayed
// from and to the caller's.
func (x *execSession) pipes() ([]*os.File, error) {
	var child []*os.File
	if x.c.Interactive {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		go func() {
			_, _ = io.Copy(w, os.Stdin)
			w.Close()
		}()
		child = append(child, r)
	} else {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return nil, err
		}
		child = append(child, null)
	}
	for _, out := range []io.Writer{x.g.Stdout, x.g.Stderr} {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(child)
			return nil, err
		}
		x.outputs.Add(1)
		go func() {
			defer x.outputs.Done()
			_, _ = io.Copy(out, r)
			r.Close()
		}()
		child = append(child, w)
	}
	return child, nil
}

// attach relays the caller's terminal and the pty, in raw mode.
func (x *execSession) attach(master *os.File) {
	in := int(os.Stdin.Fd())
	if term.IsTerminal(in) {
		if st, err := term.MakeRaw(in); err == nil {
			x.restore = func() { _ = term.Restore(in, st) }
		}
		resize(master)
	}
	if x.c.Interactive {
		go func() { _, _ = io.Copy(master, os.Stdin) }()
	}
	x.outputs.Add(1)
	go func() {
		defer x.outputs.Done()
		_, _ = io.Copy(x.g.Stdout, master)
	}()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			resize(master)
		}
	}()
}

func resize(master *os.File) {
	if ws, err := unix.IoctlGetWinsize(int(os.Stdin.Fd()), unix.TIOCGWINSZ); err == nil {
		_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

// wait forwards signals until the command has exited, and returns its
// status.
func (x *execSession) wait() error {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			_ = x.conn.Send(supervisor.Request{Op: "signal", Signal: int(s.(syscall.Signal))})
		}
	}()
	var done supervisor.Reply
	files, err := x.conn.Recv(&done)
	closeAll(files)
	if err != nil {
		return fmt.Errorf("lost the container's supervisor before the command ended: %w", err)
	}
	x.outputs.Wait()
	if done.Code != 0 {
		return exitError{done.Code}
	}
	return nil
}

func (x *execSession) finish() {
	if x.restore != nil {
		x.restore()
	}
}

// execFailure is a refused exec as an error with Docker's status.
func execFailure(r supervisor.Reply) error {
	fmt.Fprintf(os.Stderr, "nook: %s\n", r.Error)
	code := r.Code
	if code == 0 {
		code = exitFailed
	}
	return exitError{code}
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
