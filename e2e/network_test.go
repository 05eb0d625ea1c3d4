package e2e

// The user-mode network (--network slirp, run's default) end to end: the
// container's side (tap0, address, MTU, route, resolv.conf, hosts), TCP
// and UDP to servers this test runs on the host, the host's loopback only
// with allow_host_loopback, DNS through the forwarder, isolation, and no
// process or socket left after many runs.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostNetAddr is a non-loopback address of the host for the outbound
// tests, on a device the test creates (netHostAddress).
const hostNetAddr = "198.18.0.1"

// netRun runs a --rm container on the shared rootfs with flags.
func netRun(t *testing.T, flags []string, cmd ...string) result {
	t.Helper()
	args := append(append([]string{"run", "--rm", "--rootfs", rootfs(t)}, flags...), "--")
	return nook(t, append(args, cmd...)...)
}

func wantOK(t *testing.T, r result) string {
	t.Helper()
	wantCode(t, r, 0)
	return r.Stdout
}

func TestNetworkSlirpLink(t *testing.T) {
	for _, tc := range []struct {
		name               string
		flags              []string
		addr, gw, dns, mtu string
	}{
		{"default", nil, "10.0.2.100/24", "10.0.2.2", "10.0.2.3", "65520"},
		{"options", []string{"--network", "slirp:cidr=10.0.3.0/24,mtu=1500"}, "10.0.3.100/24", "10.0.3.2", "10.0.3.3", "1500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := wantOK(t, netRun(t, tc.flags, "sh", "-c",
				"ls /sys/class/net; ip -o link show lo; ip -o -4 addr show dev tap0; cat /sys/class/net/tap0/mtu; ip route; cat /etc/resolv.conf"))
			for _, want := range []string{
				"lo\ntap0\n", "lo: <LOOPBACK,UP", "inet " + tc.addr + " ", "\n" + tc.mtu + "\n",
				"default via " + tc.gw + " dev tap0", "nameserver " + tc.dns + "\n",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// enable_ipv6 adds fd00::100/64, the route via fd00::2 and the forwarder's
// IPv6 address; the host's ::1 answers through the gateway.
func TestNetworkIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatalf("no IPv6 loopback on the host: %v", err)
	}
	ln.Close()
	srv := netTCPServer(t, "::1")
	flags := []string{"--network", "slirp:enable_ipv6=true,allow_host_loopback=true"}
	out := wantOK(t, netRun(t, flags, "sh", "-c",
		"ip -o -6 addr show dev tap0 scope global; ip -6 route show default; cat /etc/resolv.conf; probe dial tcp [fd00::2]:"+srv.port+" ping6"))
	for _, want := range []string{"inet6 fd00::100/64", "default via fd00::2 dev tap0", "nameserver 10.0.2.3\nnameserver fd00::3\n", netDigestLine([]byte("ping6"))} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestNetworkNoneHasOnlyLoopback(t *testing.T) {
	out := wantOK(t, netRun(t, []string{"--network", "none"}, "ls", "/sys/class/net"))
	if out != "lo\n" {
		t.Errorf("interfaces %q, want only lo", out)
	}
}

func TestNetworkMalformed(t *testing.T) {
	for _, v := range []string{"slirp:mtu=5", "slirp:bogus=1", "bridge", "host:x"} {
		wantOneLine(t, netRun(t, []string{"--network", v}, "true"), 2, "--network")
	}
}

// The gateway reaches the host's 127.0.0.1 only when asked, and then by
// podman's and Docker's names too.
func TestNetworkHostLoopback(t *testing.T) {
	port := netTCPServer(t, "127.0.0.1").port
	udp := netUDPEcho(t, "127.0.0.1")
	allow := []string{"--network", "slirp:allow_host_loopback=true"}
	for _, host := range []string{"10.0.2.2", "host.containers.internal", "host.docker.internal"} {
		out := wantOK(t, netRun(t, allow, "probe", "dial", "tcp", net.JoinHostPort(host, port), "ping"))
		if want := netDigestLine([]byte("ping")); out != want {
			t.Errorf("tcp to %s: %q, want %q", host, out, want)
		}
	}
	out := wantOK(t, netRun(t, allow, "probe", "dial", "udp", "10.0.2.2:"+udp, "ping"))
	if out != "echo ping\n" {
		t.Errorf("udp to the host's loopback: %q", out)
	}
	hosts := wantOK(t, netRun(t, allow, "cat", "/etc/hosts"))
	if !strings.Contains(hosts, "10.0.2.2\thost.containers.internal host.docker.internal\n") {
		t.Errorf("/etc/hosts lacks the host's names:\n%s", hosts)
	}

	r := netRun(t, nil, "probe", "dial", "tcp", "10.0.2.2:"+port, "ping")
	if r.Code == 0 || !strings.Contains(r.Stderr, "refused") {
		t.Errorf("the host's loopback without allow_host_loopback: want refused, got %v", r)
	}
	if hosts := wantOK(t, netRun(t, nil, "cat", "/etc/hosts")); strings.Contains(hosts, "host.containers.internal") {
		t.Errorf("/etc/hosts names the host without allow_host_loopback:\n%s", hosts)
	}
}

// TCP both ways and UDP to an ordinary address of the host, with 1 GiB
// up and 256 MiB down checked by digest.
func TestNetworkOutbound(t *testing.T) {
	netHostAddress(t)
	srv := netTCPServer(t, hostNetAddr)
	addr := net.JoinHostPort(hostNetAddr, srv.port)
	out := wantOK(t, netRun(t, nil, "probe", "dial", "tcp", addr, "ping"))
	if want := netDigestLine([]byte("ping")); out != want {
		t.Errorf("tcp: %q, want %q", out, want)
	}
	udp := netUDPEcho(t, hostNetAddr)
	if out := wantOK(t, netRun(t, nil, "probe", "dial", "udp", net.JoinHostPort(hostNetAddr, udp), "ping")); out != "echo ping\n" {
		t.Errorf("udp: %q", out)
	}

	const up = 1 << 30
	begin := time.Now()
	out = wantOK(t, netRun(t, nil, "probe", "send", addr, strconv.Itoa(up)))
	t.Logf("1 GiB container → host in %v", time.Since(begin).Round(time.Millisecond))
	sent, reply, _ := strings.Cut(strings.TrimPrefix(out, "sent "), "\nreply ")
	if want := fmt.Sprintf("got %d %s\n\n", up, sent); reply != want {
		t.Errorf("upload: the container sent %s, the host %q", sent, reply)
	}

	const down = 256 << 20
	begin = time.Now()
	out = wantOK(t, netRun(t, nil, "sh", "-c", fmt.Sprintf("probe dial tcp %s 'get %d' | sha256sum", addr, down)))
	t.Logf("256 MiB host → container in %v", time.Since(begin).Round(time.Millisecond))
	if want := srv.sentDigest() + "  -\n"; out != want {
		t.Errorf("download: sha256sum %q, want %q", out, want)
	}
}

// busybox's nslookup asks the forwarder, which asks NOOK_DNS_UPSTREAM.
func TestNetworkDNS(t *testing.T) {
	upstream := netDNSServer(t)
	// Only A: the test's dnsmasq has no upstream, so it refuses AAAA.
	cmd := nookCmd(t, "run", "--rm", "--rootfs", rootfs(t), "--", "nslookup", "-type=a", "test.nook")
	cmd.Env = append(cmd.Env, "NOOK_DNS_UPSTREAM="+upstream)
	out := wantOK(t, run(t, cmd))
	if !strings.Contains(out, "198.18.0.7") {
		t.Errorf("nslookup test.nook:\n%s", out)
	}
}

// Two containers at once: two network namespaces, neither the host's,
// each with its own tap0 (the same address in each).
func TestNetworkSeparateNamespaces(t *testing.T) {
	const script = "readlink /proc/self/ns/net; ip -o -4 addr show dev tap0 | grep -o 'inet [^ ]*'; sleep 1"
	var wg sync.WaitGroup
	outs := make([]result, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := nookCmd(t, "run", "--rm", "--rootfs", rootfs(t), "--", "sh", "-c", script)
			outs[i] = run(t, cmd)
		}()
	}
	wg.Wait()
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for _, r := range outs {
		first, rest, _ := strings.Cut(wantOK(t, r), "\n")
		ns = append(ns, first)
		if rest != "inet 10.0.2.100/24\n" {
			t.Errorf("tap0: %q", rest)
		}
	}
	if ns[0] == ns[1] || ns[0] == host || ns[1] == host {
		t.Errorf("network namespaces %q, the host's %s", ns, host)
	}
}

// 200 runs, each with a connection through the network: then no process
// of the test user is left and it holds no socket on the host.
func TestNetworkNothingLeftBehind(t *testing.T) {
	netHostAddress(t)
	port := netTCPServer(t, hostNetAddr).port
	want := netDigestLine([]byte("x"))
	for i := 0; i < 200; i++ {
		r := netRun(t, nil, "probe", "dial", "tcp", net.JoinHostPort(hostNetAddr, port), "x")
		if r.Code != 0 || r.Stdout != want {
			t.Fatalf("run %d: %v", i, r)
		}
	}
	// The supervisor and everything of the container are gone when nook
	// exits; the kernel may take a moment to drop a socket's last state.
	var procs, socks []string
	ok := waitUntil(func() bool {
		procs, socks = netUserProcesses(t), netUserSockets(t)
		return len(procs) == 0 && len(socks) == 0
	})
	if !ok {
		t.Errorf("after 200 runs: processes %q, sockets %q of the test user", procs, socks)
	}
}

// netHostAddress puts hostNetAddr on a device of the host for the test.
// A TAP device nobody opens holds it: this CI kernel has no dummy driver,
// and a local address is delivered through lo whatever its device's state.
func netHostAddress(t *testing.T) {
	t.Helper()
	const dev = "nookdummy0"
	_ = exec.Command("ip", "link", "del", dev).Run() // a killed run's
	for _, args := range [][]string{
		{"tuntap", "add", "dev", dev, "mode", "tap"},
		{"addr", "add", hostNetAddr + "/24", "dev", dev},
		{"link", "set", dev, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "link", "del", dev).CombinedOutput(); err != nil {
			t.Errorf("ip link del %s: %v\n%s", dev, err, out)
		}
	})
}

// netServer is a TCP server on the host for one test: a client's "get N"
// is answered with N pseudo-random bytes (their digest kept in sent);
// anything else is read to its end and answered with netDigestLine of it.
type netServer struct {
	port string
	mu   sync.Mutex
	sent string
}

func netTCPServer(t *testing.T, host string) *netServer {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	s := &netServer{}
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				s.serve(c)
			}()
		}
	}()
	return s
}

func (s *netServer) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	head := make([]byte, 4)
	n, _ := io.ReadFull(c, head)
	if string(head[:n]) == "get " {
		rest, _ := io.ReadAll(c)
		if size, err := strconv.ParseInt(string(rest), 10, 64); err == nil {
			s.send(c, size)
		}
		return
	}
	h := sha256.New()
	h.Write(head[:n])
	m, _ := io.Copy(h, c)
	fmt.Fprintf(c, "got %d %s\n", int64(n)+m, hex.EncodeToString(h.Sum(nil)))
}

func (s *netServer) send(w io.Writer, size int64) {
	rng := rand.NewChaCha8([32]byte{'e', '2', 'e'})
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(rng, size)); err != nil {
		return
	}
	s.mu.Lock()
	s.sent = hex.EncodeToString(h.Sum(nil))
	s.mu.Unlock()
}

func (s *netServer) sentDigest() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

func netDigestLine(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("got %d %s\n", len(b), hex.EncodeToString(sum[:]))
}

// netUDPEcho answers each datagram on host with "echo " and the datagram,
// until the test ends; it returns the port.
func netUDPEcho(t *testing.T, host string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(append([]byte("echo "), buf[:n]...), from)
		}
	}()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	return port
}

// netDNSServer runs Debian's dnsmasq on 127.0.0.1 with one record,
// test.nook → 198.18.0.7, until the test ends, and returns its address.
func netDNSServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("dnsmasq")
	if err != nil {
		t.Fatal("no dnsmasq: .ci/setup installs dnsmasq-base")
	}
	addr := netFreePort(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--no-daemon", "--port="+port, "--listen-address=127.0.0.1", "--bind-interfaces",
		"--no-resolv", "--no-hosts", "--address=/test.nook/198.18.0.7", "--pid-file=")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
	ready := waitUntil(func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := r.LookupHost(ctx, "test.nook")
		return err == nil
	})
	if !ready {
		t.Fatalf("dnsmasq on %s does not answer:\n%s", addr, out.String())
	}
	return addr
}

// netFreePort is a 127.0.0.1 address whose port is free for both TCP and
// UDP (dnsmasq binds both), for a server that picks no port of its own.
func netFreePort(t *testing.T) string {
	t.Helper()
	for try := 0; try < 20; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		pc, err := net.ListenPacket("udp", addr)
		ln.Close()
		if err == nil {
			pc.Close()
			return addr
		}
	}
	t.Fatal("no port free for both TCP and UDP on 127.0.0.1")
	return ""
}

// netUserProcesses lists the test user's processes ("PID COMM").
func netUserProcesses(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		info, err := os.Stat("/proc/" + e.Name())
		if err != nil || !ownedByUser(info) {
			continue
		}
		if p, err := readStat(pid); err == nil {
			out = append(out, fmt.Sprintf("%d %s", pid, p.Comm))
		}
	}
	return out
}

func ownedByUser(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == env.uid
}

// netUserSockets lists the host's TCP and UDP sockets of the test user, in
// any state, from /proc/net (the uid column).
func netUserSockets(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, err := os.ReadFile("/proc/net/" + f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		for _, l := range lines[1:] {
			fields := strings.Fields(l)
			if len(fields) > 7 && fields[7] == strconv.Itoa(env.uid) {
				out = append(out, f+" "+fields[1]+" "+fields[2]+" state "+fields[3])
			}
		}
	}
	return out
}
