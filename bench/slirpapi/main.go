// Command slirpapi sends one request to slirp4netns' API socket (its
// --api-socket) and prints the answer, for bench/net.sh:
//
//	slirpapi SOCKET '{"execute": "add_hostfwd", "arguments": {...}}'
//
// It exits 1 when the socket cannot be reached or the answer carries an
// "error" member. (Debian has no socat by default, and slirp4netns' API is
// a Unix stream socket: one JSON request, one JSON answer.)
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: slirpapi SOCKET JSON")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "slirpapi: %v\n", err)
		os.Exit(1)
	}
}

func run(socket, request string) error {
	if !json.Valid([]byte(request)) {
		return fmt.Errorf("the request is not JSON: %s", request)
	}
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, request); err != nil {
		return err
	}
	// slirp4netns answers once and closes; a half-close tells it the
	// request is complete.
	if err := c.(*net.UnixConn).CloseWrite(); err != nil {
		return err
	}
	answer, err := io.ReadAll(c)
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	fmt.Println(string(answer))
	var reply struct {
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(answer, &reply); err != nil {
		return fmt.Errorf("the answer is not JSON: %q", answer)
	}
	if reply.Error != nil {
		return fmt.Errorf("slirp4netns refused %s: %s", request, reply.Error)
	}
	return nil
}
