package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tapName and tapMTU are what nook's init gives the container.
const (
	tapName = "tap0"
	tapMTU  = 65520
)

// namespace is a user and network namespace held by a child process
// (this binary's hold subcommand) until its stdin closes: when the
// benchmark ends, or dies, the namespace and everything in it go with it.
// The user namespace is there for RootlessKit, whose parent driver enters
// the child's with nsenter -U (which fails for one's own); root maps to
// root, so the host's root keeps every capability over both.
type namespace struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func newNamespace() (*namespace, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "hold")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the namespace holder: %w", err)
	}
	ns := &namespace{cmd: cmd, stdin: stdin}
	// The holder says it runs only once its namespaces exist.
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "held\n" {
		ns.close()
		return nil, fmt.Errorf("namespace holder: %q, %v", line, err)
	}
	return ns, nil
}

func (ns *namespace) pid() int { return ns.cmd.Process.Pid }

// close ends the holder; the kernel then tears the namespace down.
func (ns *namespace) close() {
	ns.stdin.Close()
	ns.cmd.Wait()
}

// hold is the holder's side: it waits for EOF on stdin.
func hold() error {
	fmt.Println("held")
	_, err := io.Copy(io.Discard, os.Stdin)
	return err
}

// nsenter runs a command in the namespace's network namespace (only: the
// user stays the host's root).
func (ns *namespace) nsenter(name string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"-t", fmt.Sprint(ns.pid()), "-n", name}, args...)...)
}

// configure gives tap0 the container's address and route as nook's init
// does, with the stack's gateway.
func (ns *namespace) configure(gateway string) error {
	batch := strings.Join([]string{
		"link set lo up",
		fmt.Sprintf("link set %s mtu %d", tapName, tapMTU),
		fmt.Sprintf("addr add 10.0.2.100/24 dev %s", tapName),
		fmt.Sprintf("link set %s up", tapName),
		fmt.Sprintf("route add default via %s dev %s", gateway, tapName),
	}, "\n") + "\n"
	cmd := ns.nsenter("ip", "-batch", "-")
	cmd.Stdin = strings.NewReader(batch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("configure %s in the namespace: %v: %s", tapName, err, out)
	}
	return nil
}

// openTap creates tap0 in the namespace (IFF_TAP|IFF_NO_PI, as nook's init
// does) and returns its descriptor. A locked thread enters the namespace
// and returns to the host's before it is unlocked: a thread that ended
// locked would be gone, and the children started from it would not know.
func (ns *namespace) openTap() (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		f, restored, err := ns.openTapLocked()
		if restored {
			runtime.UnlockOSThread()
		}
		done <- result{f, err}
	}()
	r := <-done
	return r.f, r.err
}

// openTapLocked runs on a locked thread; restored says the thread is back
// in the host's namespace.
func (ns *namespace) openTapLocked() (f *os.File, restored bool, err error) {
	host, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, err
	}
	defer host.Close()
	target, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", ns.pid()))
	if err != nil {
		return nil, true, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("setns into the namespace: %w", err)
	}
	f, err = createTap(tapName)
	if rerr := unix.Setns(int(host.Fd()), unix.CLONE_NEWNET); rerr != nil {
		if f != nil {
			f.Close()
		}
		return nil, false, fmt.Errorf("setns back to the host's namespace: %w", rerr)
	}
	return f, true, err
}

func createTap(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var req [unix.IFNAMSIZ + 64]byte
	copy(req[:], name)
	*(*uint16)(unsafe.Pointer(&req[unix.IFNAMSIZ])) = unix.IFF_TAP | unix.IFF_NO_PI
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); errno != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, errno)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// linkStats are tap0's counters as the container's kernel sees them: tx is
// what the container sent to the stack, rx what it got from it.
type linkStats struct {
	RX struct {
		Bytes, Packets, Dropped int64
	} `json:"rx"`
	TX struct {
		Bytes, Packets, Dropped int64
	} `json:"tx"`
}

func (ns *namespace) tapStats() (linkStats, error) {
	out, err := ns.nsenter("ip", "-s", "-j", "link", "show", "dev", tapName).Output()
	if err != nil {
		return linkStats{}, fmt.Errorf("ip -s link show %s: %w", tapName, err)
	}
	var links []struct {
		Stats linkStats `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		return linkStats{}, fmt.Errorf("ip -s -j link show %s: %v: %.200s", tapName, err, out)
	}
	return links[0].Stats, nil
}
