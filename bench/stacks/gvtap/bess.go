package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/containers/gvisor-tap-vsock/pkg/types"
	"github.com/containers/gvisor-tap-vsock/pkg/virtualnetwork"
	"golang.org/x/sys/unix"
)

// serveBess runs gvisor-tap-vsock's virtual network on the TAP tapFD,
// configured as nook's slirp is for the benchmark: the gateway 10.0.2.2
// (with slirp's MAC) reaching the host's 127.0.0.1 by its NAT table.
//
// The library reads and writes frames on a net.Conn, not on a TAP. Of its
// protocols, BESS (one frame per SOCK_SEQPACKET message) is the cheapest
// to feed: no length prefix and no bufio on its side. The adapter is two
// goroutines, each copying a frame per read and write between the TAP and
// the other end of a socketpair: per frame, two system calls and one copy
// more than a stack that reads the TAP itself.
func serveBess(tapFD int) error {
	tap, err := nonblockingFile(tapFD, "tap")
	if err != nil {
		return err
	}
	defer tap.Close()
	vn, err := virtualnetwork.New(&types.Configuration{
		MTU:               mtu,
		Subnet:            subnet,
		GatewayIP:         "10.0.2.2",
		GatewayMacAddress: "52:55:0a:00:02:02",
		DHCPStaticLeases:  map[string]string{},
		NAT:               map[string]string{"10.0.2.2": "127.0.0.1"},
	})
	if err != nil {
		return fmt.Errorf("virtualnetwork: %w", err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socketpair: %w", err)
	}
	libFile := os.NewFile(uintptr(fds[0]), "bess")
	lib, err := net.FileConn(libFile)
	libFile.Close()
	if err != nil {
		unix.Close(fds[1])
		return fmt.Errorf("socketpair: %w", err)
	}
	ours, err := nonblockingFile(fds[1], "bess-adapter")
	if err != nil {
		lib.Close()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// AcceptBess returns when its connection fails: when ours is closed.
	wg.Go(func() { vn.AcceptBess(ctx, lib) })
	wg.Go(func() { copyFrames(ours, tap) })
	wg.Go(func() { copyFrames(tap, ours) })
	ready("10.0.2.2")
	cancel()
	tap.Close()
	ours.Close()
	wg.Wait()
	// virtualnetwork has no Close: its stack and services stay until the
	// process exits, which it now does.
	return nil
}

// nonblockingFile makes fd an *os.File on Go's poller, so that Close ends
// a read blocked on it.
func nonblockingFile(fd int, name string) (*os.File, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: set non-blocking: %w", name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// copyFrames copies one frame per read from src to dst until either fails
// (one is closed). A TAP read or a SOCK_SEQPACKET read returns one frame.
func copyFrames(dst, src *os.File) {
	buf := make([]byte, 1<<16)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}
