package e2e

// Published ports end to end: -p and -P through the user-mode network,
// servers in the container (busybox httpd, probe serve) reached from the
// host, the source address they see, nook port, a port in use, many
// connections, and nothing left bound after many runs.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// publishArgs starts every container of these tests: the user-mode network
// and an init, so that SIGTERM ends servers that are PID 1 otherwise.
func publishArgs(args ...string) []string {
	return append([]string{"run", "--rm", "--init", "--network", "slirp"}, args...)
}

// publishablePort is a port nothing listens on now, for TCP and UDP on every
// address.
func publishablePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", ":"+strconv.Itoa(port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no free port for both TCP and UDP")
	return 0
}

// startServer runs a container serving with probe serve PROTO PORT and
// waits until it listens.
func startServer(t *testing.T, flags []string, proto string, port int) *session {
	t.Helper()
	args := append(publishArgs(flags...), "--rootfs", rootfs(t), "--", "probe", "serve", proto, strconv.Itoa(port))
	s := startNook(t, args...)
	s.Expect("listening", 20*time.Second)
	return s
}

// stop ends a server container and its nook, once.
func stop(t *testing.T, s *session) {
	t.Helper()
	if s.cmd.ProcessState != nil {
		return
	}
	s.Signal(syscall.SIGTERM)
	s.Wait()
}

// peerLine connects to addr (from local, when valid) and reads the
// server's "peer IP:PORT" line.
func peerLine(t *testing.T, addr string, local netip.Addr) (net.Conn, string) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if local.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: local.AsSlice()}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read the peer line from %s: %v", addr, err)
	}
	return c, strings.TrimSuffix(line, "\n")
}

func TestPortsHTTP(t *testing.T) {
	root := newRootfs(t)
	mkUserDir(t, filepath.Join(root, "www"))
	writeUserFile(t, filepath.Join(root, "www", "index.html"), "hello from httpd\n")
	port := publishablePort(t)
	s := startNook(t, append(publishArgs("-p", fmt.Sprintf("%d:80", port), "--rootfs", root),
		"--", "httpd", "-f", "-p", "80", "-h", "/www")...)
	defer stop(t, s)
	// The host port is bound before the container runs, httpd a moment
	// later: until then connections are reset.
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if body != "hello from httpd\n" {
		t.Errorf("GET %s: %q", url, body)
	}
}

// TestPortsSourceAddress: the server in the container sees the client's
// own address and port, not the host's loopback or nook's.
func TestPortsSourceAddress(t *testing.T) {
	local := hostAddress(t)
	port := publishablePort(t)
	s := startServer(t, []string{"-p", fmt.Sprintf("%d:80", port)}, "tcp", 80)
	defer stop(t, s)
	c, line := peerLine(t, netip.AddrPortFrom(local, uint16(port)).String(), local)
	if want := "peer " + c.LocalAddr().String(); line != want {
		t.Errorf("the server saw %q, want %q (the client's address)", line, want)
	}
}

// hostAddress is a non-loopback IPv4 address of this host that the
// container could answer (outside slirp's 10.0.2.0/24); without one, a
// dummy interface with a documentation address, removed at the end.
func hostAddress(t *testing.T) netip.Addr {
	t.Helper()
	slirpNet := netip.MustParsePrefix("10.0.2.0/24")
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ip, _ := netip.AddrFromSlice(n.IP)
			if ip = ip.Unmap(); ip.Is4() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && !slirpNet.Contains(ip) {
				return ip
			}
		}
	}
	ip := netip.MustParseAddr("198.51.100.7")
	for _, args := range [][]string{
		{"link", "add", "nookports0", "type", "dummy"},
		{"addr", "add", ip.String() + "/32", "dev", "nookports0"},
		{"link", "set", "nookports0", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "nookports0").Run() })
	return ip
}

func TestPortsUDP(t *testing.T) {
	port := publishablePort(t)
	s := startServer(t, []string{"-p", fmt.Sprintf("127.0.0.1:%d:5353/udp", port)}, "udp", 5353)
	defer stop(t, s)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var clients []net.Conn
	for range 2 {
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	peers := map[string]bool{}
	for round := range 3 {
		for i, c := range clients {
			msg := fmt.Sprintf("client %d round %d", i, round)
			reply := udpExchange(t, c, msg)
			peer, rest, _ := strings.Cut(strings.TrimPrefix(reply, "peer "), " ")
			if rest != msg {
				t.Fatalf("client %d sent %q, got %q", i, msg, reply)
			}
			peers[fmt.Sprint(i, peer)] = true
		}
	}
	if len(peers) != 2 {
		t.Errorf("the server saw %v: want one source per client, the same every round", peers)
	}
}

// udpExchange sends msg until a reply comes (the first datagrams may
// arrive before the flow's path is up) and returns the reply.
func udpExchange(t *testing.T, c net.Conn, msg string) string {
	t.Helper()
	buf := make([]byte, 2048)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if _, err := io.WriteString(c, msg); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		if err == nil {
			return string(buf[:n])
		}
	}
	t.Fatalf("no reply to %q from %s", msg, c.RemoteAddr())
	return ""
}

// TestPortsPublishAll: -P publishes the image's ExposedPorts (8080/tcp and
// 53/udp) on random ports, which nook port shows as Docker's does.
func TestPortsPublishAll(t *testing.T) {
	s := testImages(t)
	e := newImageEnv(t)
	script := "hostname; exec /usr/bin/probe serve tcp 8080"
	srv := startSession(t, e.cmd(append(publishArgs("-P", "--entrypoint", "/bin/sh", s.Config.Ref(t)), "-c", script)...))
	defer stop(t, srv)
	id := strings.TrimSpace(srv.Expect("\n", 60*time.Second))
	srv.Expect("listening", 20*time.Second)

	out := nook(t, "port", id[:6])
	wantCode(t, out, 0)
	line := regexp.MustCompile(`(?m)^8080/tcp -> 0\.0\.0\.0:(\d+)$`).FindStringSubmatch(out.Stdout)
	if line == nil || !regexp.MustCompile(`(?m)^53/udp -> 0\.0\.0\.0:\d+$`).MatchString(out.Stdout) {
		t.Fatalf("nook port %s:\n%s", id, out.Stdout)
	}
	if first := strings.SplitN(out.Stdout, "\n", 2)[0]; !strings.HasPrefix(first, "53/udp") {
		t.Errorf("nook port lists by container port: %q first", first)
	}
	_, peer := peerLine(t, "127.0.0.1:"+line[1], netip.Addr{})
	if !strings.HasPrefix(peer, "peer ") {
		t.Errorf("through the -P port: %q", peer)
	}
	only := nook(t, "port", id, "8080/tcp")
	wantCode(t, only, 0)
	if !strings.HasPrefix(only.Stdout, "0.0.0.0:"+line[1]+"\n") {
		t.Errorf("nook port %s 8080/tcp: %q", id, only.Stdout)
	}
	none := nook(t, "port", id, "9/tcp")
	wantCode(t, none, 1)
	if !strings.Contains(none.Stderr, "no public port '9/tcp' published for "+id) {
		t.Errorf("an unpublished port: %v", none)
	}
	stop(t, srv)
	if gone := nook(t, "port", id); gone.Code != 1 || !strings.Contains(gone.Stderr, "no running container") {
		t.Errorf("nook port after the container exited: %v", gone)
	}
}

// TestPortsInUse: a host port taken by another program is an error, exit
// 125, before the container runs.
func TestPortsInUse(t *testing.T) {
	busy, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	root := newRootfs(t)
	r := nook(t, append(publishArgs("-p", fmt.Sprintf("%d:80", port), "--rootfs", root), "--", "touch", "/ran")...)
	wantCode(t, r, 125)
	want := fmt.Sprintf("nook: host port %d/tcp is already in use (by another program): choose another with -p HOSTPORT:80\n", port)
	if r.Stderr != want {
		t.Errorf("stderr %q, want %q", r.Stderr, want)
	}
	if _, err := os.Stat(filepath.Join(root, "ran")); err == nil {
		t.Error("the container ran")
	}
}

// TestPortsRefused: malformed -p, or -p without the user-mode network.
func TestPortsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--rm", "--network", "slirp", "-p", "80:x"}, `nook: invalid -p "80:x": bad container port "x"`},
		{[]string{"run", "--rm", "--network", "none", "-p", "8080:80"}, "nook: -p needs the slirp network"},
		{[]string{"run", "--rm", "--network", "host", "-p", "8080:80"}, "nook: -p needs the slirp network"},
	} {
		r := nook(t, append(c.args, "--rootfs", rootfs(t), "--", "echo", "ran")...)
		if r.Code != 125 || !strings.HasPrefix(r.Stderr, c.want) || strings.Count(r.Stderr, "\n") != 1 || r.Stdout != "" {
			t.Errorf("nook %s: want exit 125 and one line %q, got %v", strings.Join(c.args, " "), c.want, r)
		}
	}
}

// TestPortsConcurrent: 200 connections at once, each echoed and
// half-closed (the client's EOF reaches the server, whose EOF comes back).
func TestPortsConcurrent(t *testing.T) {
	port := publishablePort(t)
	s := startServer(t, []string{"-p", fmt.Sprintf("127.0.0.1:%d:80", port)}, "tcp", 80)
	defer stop(t, s)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	const n = 200
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- echoHalfClose(addr, fmt.Sprintf("message %d", i))
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if failed <= 5 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d connections failed", failed, n)
	}
}

func echoHalfClose(addr, msg string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return fmt.Errorf("%s: %v", msg, err)
	}
	if _, echoed, _ := strings.Cut(string(b), "\n"); !strings.HasPrefix(string(b), "peer ") || echoed != msg {
		return fmt.Errorf("sent %q, got %q", msg, b)
	}
	return nil
}

// TestPortsNothingLeftBehind: 200 runs in a row publishing the same TCP
// and UDP port (each would fail if an earlier one still held it), then no
// listener on it and no ports record.
func TestPortsNothingLeftBehind(t *testing.T) {
	port := publishablePort(t)
	flags := []string{"-p", fmt.Sprintf("127.0.0.1:%d:80", port), "-p", fmt.Sprintf("127.0.0.1:%d:53/udp", port), "-p", "80"}
	for i := range 200 {
		r := nook(t, append(publishArgs(flags...), "--rootfs", rootfs(t), "--", "true")...)
		if r.Code != 0 {
			t.Fatalf("run %d: %v", i, r)
		}
	}
	// -e adds the owner: the random -p 80 ports too must all be gone.
	out, err := exec.Command("ss", "-Hltune").Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, fmt.Sprintf(":%d ", port)) || strings.Contains(l, fmt.Sprintf("uid:%d ", env.uid)) {
			t.Errorf("still bound after the runs: %s", l)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(env.runtimeDir, "nook", "ports")); len(left) != 0 {
		t.Errorf("ports records left: %v", left)
	}
}
