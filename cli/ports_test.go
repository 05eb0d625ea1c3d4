package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"nook/state"
)

var webPorts = state.Published{ID: "0123456789ab", Name: "web", Pid: os.Getpid(), Ports: []state.Port{
	{ContainerPort: 8080, Proto: "tcp", HostIP: "127.0.0.1", HostPort: 9000},
	{ContainerPort: 80, Proto: "tcp", HostIP: "0.0.0.0", HostPort: 32768},
	{ContainerPort: 80, Proto: "tcp", HostIP: "::", HostPort: 32768},
	{ContainerPort: 53, Proto: "udp", HostIP: "0.0.0.0", HostPort: 32769},
}}

func TestPrintPorts(t *testing.T) {
	for want, out := range map[string]string{
		"":       "53/udp -> 0.0.0.0:32769\n80/tcp -> 0.0.0.0:32768\n80/tcp -> [::]:32768\n8080/tcp -> 127.0.0.1:9000\n",
		"80":     "0.0.0.0:32768\n[::]:32768\n",
		"80/tcp": "0.0.0.0:32768\n[::]:32768\n",
		"53/udp": "0.0.0.0:32769\n",
	} {
		var b bytes.Buffer
		if err := printPorts(&b, webPorts, want); err != nil {
			t.Errorf("port %q: %v", want, err)
		}
		if b.String() != out {
			t.Errorf("port %q printed\n%s\nwant\n%s", want, b.String(), out)
		}
	}
	var b bytes.Buffer
	err := printPorts(&b, webPorts, "53")
	if err == nil || err.Error() != "no public port '53/tcp' published for web" {
		t.Errorf("an unpublished port: %v", err)
	}
	for _, bad := range []string{"x", "0", "80/sctp", "70000"} {
		if err := printPorts(&b, webPorts, bad); err == nil || !strings.Contains(err.Error(), "PRIVATE_PORT[/tcp|/udp]") {
			t.Errorf("port %q: %v", bad, err)
		}
	}
}

func TestFindPublished(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	remove, err := state.RecordPorts(state.Dir(), webPorts)
	if err != nil {
		t.Fatal(err)
	}
	other := webPorts
	other.ID, other.Name = "0123ffffffff", "db"
	if _, err := state.RecordPorts(state.Dir(), other); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"web", "0123456789ab", "01234"} {
		if p, err := findPublished(want); err != nil || p.ID != webPorts.ID {
			t.Errorf("findPublished(%q) = %v, %v", want, p.ID, err)
		}
	}
	if _, err := findPublished("0123"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("an ambiguous prefix: %v", err)
	}
	remove()
	if _, err := findPublished("web"); err == nil || !strings.Contains(err.Error(), `no running container "web"`) {
		t.Errorf("after its exit: %v", err)
	}
}

func TestPublishNeedsSlirp(t *testing.T) {
	for _, network := range []string{"none", "host"} {
		c := &runCmd{Publish: []string{"8080:80"}}
		c.Network = network
		_, err := publish(c, nil)
		if err == nil || err.Error() != "-p needs the slirp network: drop --network "+network+" (or give --network slirp)" {
			t.Errorf("-p with --network %s: %v", network, err)
		}
		c = &runCmd{PublishAll: true}
		c.Network = network
		if _, err := publish(c, []string{"80/tcp"}); err == nil || !strings.HasPrefix(err.Error(), "-P needs") {
			t.Errorf("-P with --network %s: %v", network, err)
		}
	}
	c := &runCmd{}
	c.Network = "none"
	if b, err := publish(c, []string{"80/tcp"}); b != nil || err != nil {
		t.Errorf("no -p: %v, %v", b, err)
	}
}

func TestPublish(t *testing.T) {
	c := &runCmd{Publish: []string{"127.0.0.1::80/udp"}, PublishAll: true}
	c.Network = "slirp"
	b, err := publish(c, []string{"80/tcp", "80/udp", "443"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var got []string
	for _, m := range b.Ports() {
		got = append(got, m.Key()+" "+m.HostIP.String())
	}
	want := "80/udp 127.0.0.1,80/tcp 0.0.0.0"
	if j := strings.Join(got, ","); !strings.HasPrefix(j, want) || !strings.Contains(j, "443/tcp 0.0.0.0") {
		t.Errorf("published %s, want %s then 443/tcp", j, want)
	}
	c.PublishAll = false
	c.Publish = []string{"80:80:80"}
	if _, err := publish(c, nil); err == nil || !strings.HasPrefix(err.Error(), `invalid -p "80:80:80"`) {
		t.Errorf("a malformed -p: %v", err)
	}
}

func TestPublishPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	c := &runCmd{Publish: []string{"127.0.0.1:" + port + ":80"}}
	c.Network = "slirp"
	if _, err := publish(c, nil); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("a port in use: %v", err)
	}
}

func TestRecordPorts(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	c := &runCmd{Publish: []string{"127.0.0.1::80"}}
	c.Network = "slirp"
	b, err := publish(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	remove, err := recordPorts("aaaaaaaaaaaa", "box", b)
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	p, err := findPublished("box")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printPorts(&out, p, ""); err != nil {
		t.Fatal(err)
	}
	if want := "80/tcp -> " + b.Ports()[0].HostAddr() + "\n"; out.String() != want {
		t.Errorf("nook port printed %q, want %q", out.String(), want)
	}
}

// TestPublishedPortsLifecycle: bound before the run, served and recorded
// once the network is up, gone at the exit.
func TestPublishedPortsLifecycle(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	c := &runCmd{Publish: []string{"127.0.0.1::80"}}
	c.Network = "slirp"
	pp := &publishedPorts{}
	if err := pp.bind(c, nil, "bbbbbbbbbbbb", "box"); err != nil {
		t.Fatal(err)
	}
	defer pp.close()
	addr := pp.b.Ports()[0].HostAddr()
	stop := pp.onNetwork(refuseAll{})
	if _, err := findPublished("box"); err != nil {
		t.Errorf("not recorded while running: %v", err)
	}
	stop()
	if _, err := findPublished("box"); err == nil {
		t.Error("still recorded after the exit")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("still listening after the exit")
	}
	var none *publishedPorts
	none.onNetwork(refuseAll{})()
	none.close()
	(&publishedPorts{}).onNetwork(refuseAll{})()
}

type refuseAll struct{}

func (refuseAll) DialTCP(context.Context, netip.AddrPort, uint16) (net.Conn, error) {
	return nil, errors.New("refused")
}

func (refuseAll) DialUDP(netip.AddrPort, uint16) (net.Conn, error) { return nil, errors.New("refused") }
