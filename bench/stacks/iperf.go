package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// iperfServer is a one-off iperf3 server (-1) on the host's 127.0.0.1: a
// fresh one per measurement, so a transfer a stack broke cannot leave the
// next one facing a busy server.
type iperfServer struct {
	cmd  *exec.Cmd
	port int
}

func startIperfServer() (*iperfServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("iperf3", "-s", "-1", "--forceflush", "-B", "127.0.0.1", "-p", fmt.Sprint(port))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start iperf3 -s: %w", err)
	}
	// "Server listening on PORT" comes after listen(2).
	listening := make(chan bool, 1)
	go func() {
		r := bufio.NewReader(stdout)
		ok := false
		for !ok {
			line, err := r.ReadString('\n')
			if err != nil {
				break
			}
			ok = strings.Contains(line, "Server listening")
		}
		listening <- ok
		io.Copy(io.Discard, r)
	}()
	s := &iperfServer{cmd: cmd, port: port}
	select {
	case ok := <-listening:
		if ok {
			return s, nil
		}
	case <-time.After(10 * time.Second):
	}
	s.stop()
	return nil, fmt.Errorf("iperf3 -s on 127.0.0.1:%d did not start listening", port)
}

// stop waits a moment for the one-off server to exit by itself, then
// kills it.
func (s *iperfServer) stop() {
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// iperfClient runs one transfer of seconds s against a fresh server,
// with prefix (nsenter into a namespace, or nothing) before iperf3, and
// returns the receiver's rate in bit/s.
func iperfClient(prefix []string, target string, seconds int, reverse bool) (float64, error) {
	srv, err := startIperfServer()
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	args := append(slices.Clone(prefix), "iperf3", "-c", target, "-p", fmt.Sprint(srv.port),
		"-t", fmt.Sprint(seconds), "-J", "--connect-timeout", "5000")
	if reverse {
		args = append(args, "-R")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds+30)*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
	var r struct {
		Error string `json:"error"`
		End   struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if jerr := json.Unmarshal(out, &r); jerr != nil {
		if err == nil {
			err = jerr
		}
		return 0, fmt.Errorf("%s: %v: %.300s", strings.Join(args, " "), err, out)
	}
	if r.Error != "" || err != nil {
		return 0, fmt.Errorf("%s: %v %s", strings.Join(args, " "), err, r.Error)
	}
	return r.End.SumReceived.BitsPerSecond, nil
}
