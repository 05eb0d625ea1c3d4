// Command probe runs inside containers under test and reports what it sees:
// its open file descriptors, namespaces, signals, terminal and children.
//
// Results go to stdout, one item per line; errors go to stderr with exit
// status 1. It is built statically (CGO_ENABLED=0) by the end-to-end harness
// and copied to /usr/bin/probe in the test rootfs.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const usage = `usage: probe COMMAND [ARG...]

  fds           open file descriptors of the probe itself, on one line
  ns            NAME INODE for each namespace in /proc/self/ns
  signals       print "ready", then the name of each signal received; exit on SIGTERM
  zombies N     leave N orphaned, exited children for PID 1 to reap; print "spawned"; sleep
  exit N        exit with status N
  write PATH    create or truncate PATH and write "x"; print "ok"
  winsize       print "ROWS COLS" of stdin, again on each SIGWINCH; exit on EOF or SIGTERM
  isatty        print whether fds 0 1 2 are terminals: "0:tty 1:tty 2:notty"
  sleep SECONDS sleep, then exit 0
  hog MIB [SECONDS]  allocate MIB MiB and touch every page; print "allocated MIB MiB";
                then hold the memory for SECONDS (default 0) and exit 0
  spin SECONDS  burn CPU in a busy loop for SECONDS of wall time; print "spun"
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(1)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "fds":
		err = fds(args)
	case "ns":
		err = namespaces(args)
	case "signals":
		err = signals(args)
	case "zombies":
		err = zombies(args)
	case "orphans":
		err = orphans(args)
	case "exit":
		err = exit(args)
	case "write":
		err = write(args)
	case "winsize":
		err = winsize(args)
	case "isatty":
		err = isatty(args)
	case "sleep":
		err = sleep(args)
	case "hog":
		err = hog(args)
	case "spin":
		err = spin(args)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		err = fmt.Errorf("unknown command %q (probe help lists them)", cmd)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "probe: %v\n", err)
	os.Exit(1)
}

func wantArgs(args []string, n int, names string) error {
	if len(args) != n {
		return fmt.Errorf("want %d argument(s): %s", n, names)
	}
	return nil
}

// fds lists the process's open descriptors. It reads the directory with raw
// system calls: an *os.File for it would register with the Go runtime's
// poller and so open an epoll descriptor of its own, which would be listed.
func fds(args []string) error {
	if err := wantArgs(args, 0, ""); err != nil {
		return err
	}
	dirfd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /proc/self/fd: %w", err)
	}
	defer unix.Close(dirfd)
	var nums []int
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(dirfd, buf)
		if err != nil {
			return fmt.Errorf("read /proc/self/fd: %w", err)
		}
		if n == 0 {
			break
		}
		var names []string
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
		for _, name := range names {
			fd, err := strconv.Atoi(name)
			if err != nil {
				return fmt.Errorf("read /proc/self/fd: unexpected entry %q", name)
			}
			if fd != dirfd {
				nums = append(nums, fd)
			}
		}
	}
	sort.Ints(nums)
	words := make([]string, len(nums))
	for i, fd := range nums {
		words[i] = strconv.Itoa(fd)
	}
	fmt.Println(strings.Join(words, " "))
	return nil
}

func namespaces(args []string) error {
	if err := wantArgs(args, 0, ""); err != nil {
		return err
	}
	for _, name := range []string{"pid", "mnt", "uts", "ipc", "net", "user", "cgroup"} {
		link, err := os.Readlink("/proc/self/ns/" + name)
		if err != nil {
			return err
		}
		// The link reads "pid:[4026531836]".
		_, rest, ok := strings.Cut(link, ":[")
		inode, ok2 := strings.CutSuffix(rest, "]")
		if !ok || !ok2 {
			return fmt.Errorf("readlink /proc/self/ns/%s: unexpected %q", name, link)
		}
		fmt.Println(name, inode)
	}
	return nil
}

var caught = []os.Signal{
	unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT,
	unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH,
}

func signals(args []string) error {
	if err := wantArgs(args, 0, ""); err != nil {
		return err
	}
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, caught...)
	fmt.Println("ready")
	for sig := range ch {
		fmt.Println(unix.SignalName(sig.(unix.Signal)))
		if sig == unix.SIGTERM {
			return nil
		}
	}
	return nil
}

// zombies leaves n exited processes for PID 1 to reap. Children of the
// probe itself would stay zombies whatever PID 1 does (only their parent can
// reap them), so an intermediate child starts them and exits at once: they
// are orphans re-parented to PID 1 — the probe itself without --init, nook's
// reaper with it. "spawned" is printed once every one of them has exited, so
// the caller then sees a settled state: each is either reaped or a zombie.
func zombies(args []string) error {
	if err := wantArgs(args, 1, "N"); err != nil {
		return err
	}
	if _, err := strconv.Atoi(args[0]); err != nil {
		return fmt.Errorf("zombies: bad count %q", args[0])
	}
	out, err := exec.Command("/proc/self/exe", "orphans", args[0]).Output()
	if err != nil {
		return fmt.Errorf("start orphans: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, field := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(field)
		if err != nil {
			return fmt.Errorf("orphans: unexpected output %q", out)
		}
		for !exited(pid) {
			if time.Now().After(deadline) {
				return fmt.Errorf("orphan %d still running after 10s", pid)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	fmt.Println("spawned")
	for {
		time.Sleep(time.Hour)
	}
}

// exited tells whether pid is gone or a zombie.
func exited(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// "PID (COMM) STATE ...": COMM may hold spaces and parentheses.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z'
}

// orphans is the intermediate of zombies: it starts n children that exit at
// once, prints their pids and exits without waiting for them.
func orphans(args []string) error {
	if err := wantArgs(args, 1, "N"); err != nil {
		return err
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("orphans: bad count %q", args[0])
	}
	for range n {
		c := exec.Command("/proc/self/exe", "exit", "0")
		if err := c.Start(); err != nil {
			return err
		}
		fmt.Println(c.Process.Pid)
	}
	return nil
}

func exit(args []string) error {
	if err := wantArgs(args, 1, "N"); err != nil {
		return err
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 || n > 255 {
		return fmt.Errorf("exit: bad status %q", args[0])
	}
	os.Exit(n)
	return nil
}

func write(args []string) error {
	if err := wantArgs(args, 1, "PATH"); err != nil {
		return err
	}
	if err := os.WriteFile(args[0], []byte("x"), 0o644); err != nil {
		return err
	}
	fmt.Println("ok")
	return nil
}

func winsize(args []string) error {
	if err := wantArgs(args, 0, ""); err != nil {
		return err
	}
	// Subscribe before the first report so a resize right after it is not lost.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGWINCH, unix.SIGTERM)
	if err := printWinsize(); err != nil {
		return err
	}
	eof := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		eof <- err
	}()
	for {
		select {
		case sig := <-sigs:
			if sig == unix.SIGTERM {
				return nil
			}
			if err := printWinsize(); err != nil {
				return err
			}
		case err := <-eof:
			return err
		}
	}
}

func printWinsize() error {
	ws, err := unix.IoctlGetWinsize(0, unix.TIOCGWINSZ)
	if err != nil {
		return fmt.Errorf("TIOCGWINSZ on stdin: %w", err)
	}
	fmt.Println(ws.Row, ws.Col)
	return nil
}

func isatty(args []string) error {
	if err := wantArgs(args, 0, ""); err != nil {
		return err
	}
	words := make([]string, 3)
	for fd := range 3 {
		kind := "notty"
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			kind = "tty"
		}
		words[fd] = fmt.Sprintf("%d:%s", fd, kind)
	}
	fmt.Println(strings.Join(words, " "))
	return nil
}

func sleep(args []string) error {
	if err := wantArgs(args, 1, "SECONDS"); err != nil {
		return err
	}
	s, err := strconv.ParseFloat(args[0], 64)
	if err != nil || s < 0 {
		return fmt.Errorf("sleep: bad duration %q", args[0])
	}
	time.Sleep(time.Duration(s * float64(time.Second)))
	return nil
}

// hog allocates and touches memory, so that it is charged to the cgroup:
// fresh pages the kernel maps only when written to.
func hog(args []string) error {
	if len(args) != 1 && len(args) != 2 {
		return fmt.Errorf("want 1 or 2 arguments: MIB [SECONDS]")
	}
	mib, err := strconv.Atoi(args[0])
	if err != nil || mib <= 0 {
		return fmt.Errorf("hog: bad size %q", args[0])
	}
	hold := 0.0
	if len(args) == 2 {
		if hold, err = strconv.ParseFloat(args[1], 64); err != nil || hold < 0 {
			return fmt.Errorf("hog: bad duration %q", args[1])
		}
	}
	mem := make([]byte, mib<<20)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1
	}
	fmt.Printf("allocated %d MiB\n", mib)
	time.Sleep(time.Duration(hold * float64(time.Second)))
	runtime.KeepAlive(mem)
	return nil
}

// spin keeps one CPU busy until SECONDS of wall time have passed.
func spin(args []string) error {
	if err := wantArgs(args, 1, "SECONDS"); err != nil {
		return err
	}
	s, err := strconv.ParseFloat(args[0], 64)
	if err != nil || s < 0 {
		return fmt.Errorf("spin: bad duration %q", args[0])
	}
	deadline := time.Now().Add(time.Duration(s * float64(time.Second)))
	n := 0
	for time.Now().Before(deadline) {
		for range 10000 {
			n++
		}
	}
	fmt.Println("spun")
	return nil
}
