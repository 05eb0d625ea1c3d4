package messages

import (
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"nook/mounts"
	"nook/spec"
	"nook/userns"
)

func fullOptions() spec.Options {
	return spec.Options{
		Args: []string{"sh", "-c", "echo hi"}, Env: []string{"A=1", "B="}, Workdir: "/w", User: "1000:10",
		Hostname: "h", Volumes: []spec.Volume{{Source: "/src", Destination: "/dst", ReadOnly: true}},
		Tmpfs: []spec.Tmpfs{{Destination: "/t", Options: []string{"nosuid", "size=1m"}}}, ReadOnly: true,
		Terminal: true, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"CHOWN"}, NoNewPrivileges: true,
		Rootless: true, UIDMap: userns.PlanIDMap(1000, []userns.Range{{Start: 100000, Count: 65536}}, 65536),
		GIDMap: userns.PlanIDMap(1000, []userns.Range{{Start: 100000, Count: 65536}}, 65536),
	}
}

// Every field the spec package sets must survive the trip to the init.
func TestCodecCarriesSpec(t *testing.T) {
	run, err := spec.Container("/rootfs", fullOptions())
	if err != nil {
		t.Fatal(err)
	}
	run.Process.ConsoleSize = &specs.Box{Height: 24, Width: 80}
	sandbox, err := spec.Sandbox(fullOptions(), "/cwd", []string{"/rw"}, []string{"/ro"}, []string{"/hide"})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*specs.Spec{"run": run, "sandbox": sandbox} {
		c := &Config{Spec: s, Files: []mounts.File{{Path: "/etc/hosts", Data: "x"}}, HostRoot: true, Init: true,
			Stdin: true, Seccomp: true, Debug: true, IDNote: "note",
			Overlay: &mounts.Overlay{Lower: []string{"/s/layers/b", "/s/layers/a"}, Upper: "/s/c/upper", Work: "/s/c/work"}}
		m := Msg{Kind: KindStart, Config: c, Error: "e", Code: 3}
		got, err := decodeMsg(encodeMsg(m))
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		want, _ := json.Marshal(m)
		have, _ := json.Marshal(got)
		if string(want) != string(have) {
			t.Errorf("%s: round trip differs:\nwant %s\nhave %s", name, want, have)
		}
	}
}

func TestCodecRejectsTruncated(t *testing.T) {
	s, err := spec.Container("/rootfs", fullOptions())
	if err != nil {
		t.Fatal(err)
	}
	b := encodeMsg(Msg{Kind: KindStart, Config: &Config{Spec: s}})
	for _, n := range []int{0, 3, len(b) / 2, len(b) - 1} {
		if _, err := decodeMsg(b[:n]); err == nil {
			t.Errorf("decoding %d of %d bytes succeeded", n, len(b))
		}
	}
	if _, err := decodeMsg(append(b, 0)); err == nil {
		t.Error("trailing byte accepted")
	}
}

func TestSendRecv(t *testing.T) {
	a, b, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	if err := Send(a, Msg{Kind: KindFailed, Error: "boom", Code: 127}); err != nil {
		t.Fatal(err)
	}
	m, fds, err := Recv(b)
	if err != nil || m.Kind != KindFailed || m.Error != "boom" || m.Code != 127 || len(fds) != 0 {
		t.Fatalf("got %+v %v %v", m, fds, err)
	}
	closeAll([]int{a})
	if _, _, err := Recv(b); err == nil {
		t.Fatal("want EOF after the peer closed")
	}
}

// A run without an image has no overlay, and must not grow one.
func TestCodecNoOverlay(t *testing.T) {
	s, err := spec.Container("/rootfs", fullOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMsg(encodeMsg(Msg{Kind: KindStart, Config: &Config{Spec: s}}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.Overlay != nil {
		t.Errorf("overlay = %+v, want none", got.Config.Overlay)
	}
	if got.Network != nil {
		t.Errorf("network = %+v, want none", got.Network)
	}
}

// The Network message carries the network's side in the container.
func TestCodecNetwork(t *testing.T) {
	n := &NetworkConfig{TAP: "tap0", Address: netip.MustParsePrefix("10.0.2.100/24"),
		Gateway: netip.MustParseAddr("10.0.2.2"), MTU: 65520, Options: "allow_host_loopback=true,enable_ipv6=true",
		Address6: netip.MustParsePrefix("fd00::100/64"), Gateway6: netip.MustParseAddr("fd00::2"), Mark: 0x6e6f6f6b}
	for _, want := range []*NetworkConfig{n, {TAP: "tap0", Address: n.Address, Gateway: n.Gateway, MTU: 1500}} {
		got, err := decodeMsg(encodeMsg(Msg{Kind: KindNetwork, Network: want}))
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != KindNetwork || got.Config != nil || got.Network == nil || *got.Network != *want {
			t.Errorf("round trip: %+v, want %+v", got.Network, want)
		}
	}
}

// A TAP message carries its descriptor, and nothing else.
func TestSendRecvTAP(t *testing.T) {
	a, b, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll([]int{a, b})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := Send(a, Msg{Kind: KindTAP}, int(r.Fd())); err != nil {
		t.Fatal(err)
	}
	m, fds, err := Recv(b)
	if err != nil || m.Kind != KindTAP || m.Config != nil || len(fds) != 1 {
		t.Fatalf("got %+v %v %v", m, fds, err)
	}
	closeAll(fds)
}

// A network config whose addresses do not parse is refused, not zeroed.
func TestCodecRejectsBadNetwork(t *testing.T) {
	b := encodeMsg(Msg{Kind: KindNetwork, Network: &NetworkConfig{TAP: "tap0", Address: netip.MustParsePrefix("10.0.2.100/24"), Gateway: netip.MustParseAddr("10.0.2.2")}})
	bad := []byte(strings.Replace(string(b), "10.0.2.2", "10.0.2.x", 1))
	if _, err := decodeMsg(bad); err == nil || !strings.Contains(err.Error(), "gateway") {
		t.Errorf("decode of a bad gateway: %v", err)
	}
}

// Agent messages round trip, descriptors with them; a truncated one is
// refused.
func TestAgentMessages(t *testing.T) {
	a, b, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(a)
	defer unix.Close(b)
	want := AgentMsg{Kind: AgentConnect, ID: 7, From: netip.MustParseAddrPort("[2001:db8::1]:4000"),
		To: netip.MustParseAddrPort("10.0.2.100:80"), Mark: 0x6e6f6f6b}
	if err := SendAgent(a, want, 0); err != nil {
		t.Fatal(err)
	}
	got, fds, err := RecvAgent(b)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || len(fds) != 1 {
		t.Errorf("got %+v with %d fds, want %+v with 1", got, len(fds), want)
	}
	closeAll(fds)
	for _, m := range []AgentMsg{{Kind: AgentStarted, Pid: 4242}, {Kind: AgentConnected, ID: 9, Error: "connection refused"}} {
		if err := SendAgent(a, m); err != nil {
			t.Fatal(err)
		}
		if got, _, err := RecvAgent(b); err != nil || got != m {
			t.Errorf("got %+v, %v; want %+v", got, err, m)
		}
	}
	if _, err := decodeAgent([]byte{1, 0, 0}); err == nil {
		t.Error("a truncated agent message decoded")
	}
	unix.Close(a)
	if _, _, err := RecvAgent(b); !errors.Is(err, io.EOF) {
		t.Errorf("after close: %v, want EOF", err)
	}
}

// An exec's process, settings and the container's id maps reach the exec
// helper, through the agent with its three descriptors.
func TestCodecExec(t *testing.T) {
	s, err := spec.Container("/rootfs", fullOptions())
	if err != nil {
		t.Fatal(err)
	}
	p := s.Process
	p.User = specs.User{UID: 1000, GID: 10}
	p.ConsoleSize = &specs.Box{Height: 24, Width: 80}
	p.Env = append(p.Env, "BIG="+strings.Repeat("x", 100<<10))
	x := &Exec{Process: p, Seccomp: true, Hostname: "h", UIDMappings: s.Linux.UIDMappings, GIDMappings: s.Linux.GIDMappings, IDNote: "note"}
	want, _ := json.Marshal(x)
	got, err := decodeMsg(encodeMsg(Msg{Kind: KindExec, Exec: x}))
	if have, _ := json.Marshal(got.Exec); err != nil || got.Kind != KindExec || string(have) != string(want) {
		t.Errorf("helper's message: %v, %s\nwant %s", err, have, want)
	}
	a, b, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll([]int{a, b})
	if err := SendAgent(a, AgentMsg{Kind: AgentExec, ID: 4, Exec: x}, 0, 1, 2); err != nil {
		t.Fatal(err)
	}
	m, fds, err := RecvAgent(b)
	defer closeAll(fds)
	if have, _ := json.Marshal(m.Exec); err != nil || m.Kind != AgentExec || m.ID != 4 || len(fds) != 3 || string(have) != string(want) {
		t.Errorf("agent's message: %v, %d fds, %.200s", err, len(fds), have)
	}
	for _, m := range []AgentMsg{
		{Kind: AgentExecStarted, ID: 4, Pid: 777},
		{Kind: AgentExecStarted, ID: 5, Error: "exec x: not found", Code: 127},
		{Kind: AgentExecExited, ID: 4, Status: 137},
	} {
		if err := SendAgent(a, m); err != nil {
			t.Fatal(err)
		}
		if got, _, err := RecvAgent(b); err != nil || got != m {
			t.Errorf("got %+v, %v; want %+v", got, err, m)
		}
	}
}

// A count the message cannot hold is refused before anything is
// allocated for it (the agent decodes what an exec helper, and so the
// container, sends).
func TestCodecRejectsHugeCounts(t *testing.T) {
	d := &decoder{b: []byte{0x01, 0x00, 0x00, 0x40, 'a', 'b', 'c', 'd'}} // 1<<30 + 1 strings
	if l := d.strs(); l != nil || d.err == nil {
		t.Errorf("strs = %d strings, %v", len(l), d.err)
	}
}
