package main

// probe serve tcp|udp PORT: a server that tells each client the address it
// came from, for the published-port tests (the source address the server in
// the container sees). It prints "listening" once bound. TCP: each
// connection gets "peer IP:PORT\n", then an echo of what it sends, and
// its side closed after the client's EOF. UDP: each datagram is answered
// with "peer IP:PORT " and the datagram.

import (
	"fmt"
	"io"
	"net"
	"os"
)

// The mode is dispatched from here rather than from main's switch, so
// that it lives in one file of its own.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		fail(serve(os.Args[2:]))
	}
}

// serve returns only with an error: the servers run until killed.
func serve(args []string) error {
	if err := wantArgs(args, 2, "tcp|udp PORT"); err != nil {
		return err
	}
	switch args[0] {
	case "tcp":
		return serveTCP(args[1])
	case "udp":
		return serveUDP(args[1])
	}
	return fmt.Errorf("serve: unknown protocol %q (tcp or udp)", args[0])
}

func serveTCP(port string) error {
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	fmt.Println("listening")
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			fmt.Fprintf(c, "peer %s\n", c.RemoteAddr())
			_, _ = io.Copy(c, c)
		}()
	}
}

func serveUDP(port string) error {
	pc, err := net.ListenPacket("udp", ":"+port)
	if err != nil {
		return err
	}
	fmt.Println("listening")
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		reply := append([]byte(fmt.Sprintf("peer %s ", from)), buf[:n]...)
		if _, err := pc.WriteTo(reply, from); err != nil {
			return err
		}
	}
}
