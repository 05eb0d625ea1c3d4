package main

// The client side of the network tests, run in the container:
//
//	probe dial tcp|udp ADDR MSG  send MSG (TCP: then half-close) and print
//	                             what comes back (TCP: until EOF; UDP: one
//	                             datagram, the send retried each second)
//	probe send ADDR BYTES        send BYTES of a pseudo-random stream over
//	                             TCP, half-close, and print "sent SHA256"
//	                             and "reply ..." with what the server said
//
// send is for the large transfers: busybox nc moves a few KiB per system
// call, which would measure nc, not the network.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"time"
)

func init() {
	if len(os.Args) < 2 {
		return
	}
	switch os.Args[1] {
	case "dial":
		fail(dialCmd(os.Args[2:]))
	case "send":
		fail(sendCmd(os.Args[2:]))
	}
}

// dialCmd returns only with an error: success exits.
func dialCmd(args []string) error {
	if err := wantArgs(args, 3, "tcp|udp ADDR MSG"); err != nil {
		return err
	}
	var err error
	switch args[0] {
	case "tcp":
		err = dialTCP(args[1], args[2])
	case "udp":
		err = dialUDP(args[1], args[2])
	default:
		err = fmt.Errorf("dial: unknown protocol %q (tcp or udp)", args[0])
	}
	if err != nil {
		return err
	}
	os.Exit(0)
	return nil
}

func dialTCP(addr, msg string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	_, err = io.Copy(os.Stdout, c)
	return err
}

func dialUDP(addr, msg string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	for try := 0; try < 10; try++ {
		if _, err := io.WriteString(c, msg); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err == nil {
			_, err = os.Stdout.Write(append(buf[:n], '\n'))
			return err
		}
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			return err
		}
	}
	return fmt.Errorf("dial udp %s: no answer in 10 tries", addr)
}

func sendCmd(args []string) error {
	if err := wantArgs(args, 2, "ADDR BYTES"); err != nil {
		return err
	}
	size, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || size < 0 {
		return fmt.Errorf("send: bytes %q: want a count", args[1])
	}
	c, err := net.DialTimeout("tcp", args[0], 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	sum, err := sendStream(c, size)
	if err != nil {
		return err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	fmt.Printf("sent %s\nreply %s\n", sum, reply)
	os.Exit(0)
	return nil
}

// sendStream writes size bytes: one random block repeated, each copy
// stamped with its index, so a lost, repeated or reordered block changes
// the digest as surely as a flipped bit.
func sendStream(w io.Writer, size int64) (string, error) {
	block := make([]byte, 1<<20)
	rng := rand.NewChaCha8([32]byte{'n', 'o', 'o', 'k'})
	_, _ = rng.Read(block)
	h := sha256.New()
	for i := int64(0); size > 0; i++ {
		binary.LittleEndian.PutUint64(block, uint64(i))
		n := min(size, int64(len(block)))
		if _, err := w.Write(block[:n]); err != nil {
			return "", fmt.Errorf("send: after %d MiB: %w", i, err)
		}
		h.Write(block[:n])
		size -= n
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
