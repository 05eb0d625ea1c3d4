package slirp

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkTapIperf3 runs Debian's iperf3 as the benchmark does:
// the client in the namespace behind the TAP, the server on the host's
// 127.0.0.1 reached through the gateway (allow_host_loopback), 5 s, one
// stream. It reports the receiver's rate; b.N is ignored.
func BenchmarkTapIperf3(b *testing.B) {
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Fatal("no iperf3: apt-get install iperf3")
	}
	port := freePort(b)
	srv := exec.Command("iperf3", "-s", "-B", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	time.Sleep(200 * time.Millisecond)
	ns, n := startOnTap(b, Config{AllowHostLoopback: true, DNS: []netip.AddrPort{}})
	for _, reverse := range []bool{false, true} {
		args := []string{"-c", n.gateway.String(), "-p", fmt.Sprint(port), "-t", "5", "-J"}
		name := "container-to-host"
		if reverse {
			args, name = append(args, "-R"), "host-to-container"
		}
		var out []byte
		var err error
		ns.run(func() { out, err = exec.Command("iperf3", args...).Output() })
		if err != nil {
			b.Fatalf("iperf3 %v: %v\n%s", args, err, out)
		}
		var r struct {
			End struct {
				SumReceived struct {
					BitsPerSecond float64 `json:"bits_per_second"`
				} `json:"sum_received"`
			} `json:"end"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.End.SumReceived.BitsPerSecond/1e9, name+"-Gbps")
	}
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
}

// peakRSS is the test process's VmHWM: the stack, the relays and the
// test binary itself.
func peakRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
