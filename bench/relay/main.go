// Command relay is the ceiling of any relaying port forwarder, for
// bench/net.sh: it accepts TCP connections on LISTEN and copies each to a
// new connection to TARGET both ways, as nook's published ports do
// between two kernel sockets (Go's io.Copy splices them), but with no
// namespace in between.
//
//	relay LISTEN TARGET
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: relay LISTEN TARGET")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "relay: %v\n", err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "relay: %v\n", err)
			os.Exit(1)
		}
		go relay(c.(*net.TCPConn), os.Args[2])
	}
}

func relay(c *net.TCPConn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		copyHalf(up.(*net.TCPConn), c)
		close(done)
	}()
	copyHalf(c, up.(*net.TCPConn))
	<-done
}

// copyHalf copies one direction and passes its end on as a half-close.
func copyHalf(dst, src *net.TCPConn) {
	_, _ = io.Copy(dst, src)
	_ = dst.CloseWrite()
}
