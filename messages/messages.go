// Package messages is the protocol between the host side of nook and the
// init it clones into the container's namespaces: typed messages, one per
// SOCK_SEQPACKET datagram, with descriptors passed alongside.
//
//	host                          init
//	Network{Network} ────────►    (with a user-mode network, right after the clone:
//	                              the init sets it up while the id maps are written)
//	              ◄───────────    TAP{} + the TAP device's fd (the answer to Network,
//	                              or Failed; before anything else the init sends)
//	Start{Config} ───────────►    (sent once the id maps are written)
//	              ◄───────────    Pty{} + the pty master fd   (with -t)
//	              ◄───────────    Failed{Error, Code}         (setup or exec failed)
//	              ◄─── EOF ───    exec succeeded (the socket is close-on-exec)
//
// Every receive also ends when the other side dies: the socket then reads EOF.
// The agent's protocol with the host side is in agent.go, an exec helper's
// with the agent (the same messages, plus Exec) in exec.go.
package messages

import (
	"fmt"
	"io"
	"net/netip"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/mounts"
)

// Kind tells which message a datagram holds.
type Kind string

const (
	KindNetwork Kind = "network"
	KindStart   Kind = "start"
	KindTAP     Kind = "tap"
	KindPty     Kind = "pty"
	KindFailed  Kind = "failed"
	// KindExec starts an exec helper's command (see Exec).
	KindExec Kind = "exec"
)

// Config is everything the init needs; it arrives in the Start message.
type Config struct {
	Spec *specs.Spec
	// Files are generated files (/etc/hosts, ...) bound over the root's.
	Files []mounts.File
	// HostRoot: the root is the host's / (nook sandbox).
	HostRoot bool
	// Overlay, when set, is the root: an overlay of an image's layers
	// mounted on Spec.Root.Path (an empty directory).
	Overlay *mounts.Overlay
	// Init puts a reaper in front of the command (--init).
	Init bool
	// Stdin keeps the caller's stdin (-i); otherwise it is /dev/null.
	Stdin bool
	// Seccomp installs nook's seccomp filter.
	Seccomp bool
	// IDNote explains why an id may be unmapped (only one id mapped).
	IDNote string
	// Debug prints the mount plan on stderr.
	Debug bool
	// Network, when set, is the user-mode network's side in the container
	// (--network slirp): the init creates and configures the TAP device
	// and sends its descriptor to the host side, whose stack serves it.
	// It is not part of Start: the host sends it ahead in a Network
	// message, so that the setup (half a millisecond) is done while the
	// id maps are written rather than after.
	Network *NetworkConfig `json:"-"`
}

// NetworkConfig is what the init configures in the container's network
// namespace.
type NetworkConfig struct {
	// TAP is the TAP device's name.
	TAP string
	// Address is the container's address with the network's prefix length.
	Address netip.Prefix
	// Gateway is where the default route goes: the host side's stack.
	Gateway netip.Addr
	// MTU of the TAP device.
	MTU int
	// Address6 and Gateway6 are the IPv6 side (enable_ipv6), or zero.
	Address6 netip.Prefix
	Gateway6 netip.Addr
	// Mark, when not 0, is the mark of published connections brought in
	// by the agent: the init routes their replies locally (netconf).
	Mark uint32
	// Options are the --network slirp options as given. The init ignores
	// them; they travel with the rest so that the host side starts its
	// stack from the same config the init was given (Run.Prepare may
	// replace the config).
	Options string
}

// Msg is one message.
type Msg struct {
	Kind    Kind
	Config  *Config
	Network *NetworkConfig
	Exec    *Exec
	Error   string
	// Code is the exit status nook reports for a failure (125, 126, 127).
	Code int
}

// maxMsg bounds one message; a config is a few KiB (the sandbox carries the
// caller's environment).
const maxMsg = 256 << 10

// Send writes m as one datagram, with fds attached.
func Send(sock int, m Msg, fds ...int) error {
	b := encodeMsg(m)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(sock, b, oob, nil, 0); err != nil {
		return fmt.Errorf("send %s message: %w", m.Kind, err)
	}
	return nil
}

// Recv reads one message; io.EOF means the other side is gone.
func Recv(sock int) (Msg, []int, error) {
	buf := make([]byte, maxMsg)
	n, fds, err := recv(sock, buf, 4)
	if err != nil {
		return Msg{}, nil, err
	}
	if n == len(buf) {
		closeAll(fds)
		return Msg{}, nil, fmt.Errorf("message larger than %d bytes", len(buf))
	}
	m, err := decodeMsg(buf[:n])
	if err != nil {
		closeAll(fds)
		return Msg{}, nil, fmt.Errorf("decode message: %w", err)
	}
	return m, fds, nil
}

// recv reads one datagram into buf, with up to maxFDs descriptors.
func recv(sock int, buf []byte, maxFDs int) (int, []int, error) {
	oob := make([]byte, unix.CmsgSpace(maxFDs*4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, nil, fmt.Errorf("receive message: %w", err)
	}
	if n == 0 && oobn == 0 {
		return 0, nil, io.EOF
	}
	fds, err := rights(oob[:oobn])
	return n, fds, err
}

func rights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for _, c := range cmsgs {
		got, err := unix.ParseUnixRights(&c)
		if err != nil {
			closeAll(fds)
			return nil, fmt.Errorf("parse passed descriptors: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// Pair makes the socket pair, close-on-exec on both ends.
func Pair() (host, init int, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, fmt.Errorf("socketpair: %w", err)
	}
	return fds[0], fds[1], nil
}
