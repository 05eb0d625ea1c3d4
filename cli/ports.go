package cli

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"

	"nook/lifecycle"
	"nook/ports"
	"nook/state"
)

// publishing tells whether the run asks for published ports.
func (c *runCmd) publishing() bool { return len(c.Publish) > 0 || c.PublishAll }

// checkPublish reads -p and checks that the network can carry it, without
// binding anything: cheap enough to run before the init is cloned.
func checkPublish(c *runCmd) ([]ports.Mapping, error) {
	if !c.publishing() {
		return nil, nil
	}
	if !strings.HasPrefix(c.Network, "slirp") {
		flag := "-p"
		if len(c.Publish) == 0 {
			flag = "-P"
		}
		return nil, fmt.Errorf("%s needs the slirp network: drop --network %s (or give --network slirp)", flag, c.Network)
	}
	var maps []ports.Mapping
	for _, p := range c.Publish {
		ms, err := ports.Parse(p)
		if err != nil {
			return nil, err
		}
		maps = append(maps, ms...)
	}
	return maps, nil
}

// publish binds the host side of every -p, and with -P of every port in
// exposed (the image's ExposedPorts), before the container runs: a port
// in use is an error here. It returns nil when nothing is published; the
// caller hands the Bound to the network (Serve) and closes it when the
// container exits.
func publish(c *runCmd, exposed []string) (*ports.Bound, error) {
	maps, err := checkPublish(c)
	if err != nil || !c.publishing() {
		return nil, err
	}
	if c.PublishAll {
		all, err := ports.Exposed(exposed, maps)
		if err != nil {
			return nil, err
		}
		maps = append(maps, all...)
	}
	if len(maps) == 0 {
		return nil, nil // -P of an image that exposes nothing
	}
	return ports.Listen(maps)
}

// recordPorts keeps the ports b bound for `nook port` while the container
// runs; the returned function removes the record (call it at exit).
func recordPorts(id, name string, b *ports.Bound) (func(), error) {
	if b == nil {
		return func() {}, nil
	}
	rec := state.Published{ID: id, Name: name, Pid: os.Getpid()}
	for _, m := range b.Ports() {
		rec.Ports = append(rec.Ports, state.Port{ContainerPort: m.ContainerPort, Proto: m.Proto,
			HostIP: m.HostIP.String(), HostPort: m.HostPort})
	}
	return state.RecordPorts(state.Dir(), rec)
}

// publishedPorts carries a run's published ports from the bind (before
// the container runs; for an image in Prepare, once its ExposedPorts are
// known) to the network (Serve) and the exit (Close). Its methods do
// nothing when nothing is published.
type publishedPorts struct {
	b        *ports.Bound
	id, name string
	// asked: the run publishes ports (-p, -P), known before the clone.
	asked bool
}

// bind publishes c's ports (see publish) for container id, which nook port
// also finds by name (its hostname).
func (p *publishedPorts) bind(c *runCmd, exposed []string, id, name string) error {
	b, err := publish(c, exposed)
	if err != nil {
		return err
	}
	p.b, p.id, p.name = b, id, name
	return nil
}

// onNetwork starts relaying into the container's network and records the
// ports for nook port; the function it returns undoes both, and must run
// before the network is closed.
func (p *publishedPorts) onNetwork(d ports.Dialer) func() {
	if p == nil || p.b == nil {
		return func() {}
	}
	p.b.Serve(d)
	remove, err := recordPorts(p.id, p.name, p.b)
	if err != nil {
		// The ports work; only nook port will not list them.
		fmt.Fprintf(os.Stderr, "nook: %v\n", err)
		remove = func() {}
	}
	return func() {
		remove()
		p.b.Close()
	}
}

// close releases the host ports on every path, the container started or not.
func (p *publishedPorts) close() {
	if p != nil {
		p.b.Close()
	}
}

type portCmd struct {
	Container string `arg:"" help:"Container (id, id prefix or name)."`
	Port      string `arg:"" optional:"" placeholder:"PRIVATE_PORT[/PROTO]" help:"Show only the host addresses of this container port."`
}

func (c *portCmd) Run(g *globals) error {
	rec, err := findPublished(c.Container)
	if err != nil {
		return failed(err)
	}
	return failed(printPorts(g.Stdout, rec, c.Port))
}

// printPorts writes rec's ports as docker port does: "80/tcp -> 0.0.0.0:8080"
// lines, or with want only the host addresses of that port.
func printPorts(w io.Writer, rec state.Published, want string) error {
	ms := mappings(rec)
	if want == "" {
		for _, m := range ms {
			fmt.Fprintln(w, m)
		}
		return nil
	}
	key, err := portKey(want)
	if err != nil {
		return err
	}
	found := false
	for _, m := range ms {
		if m.Key() == key {
			fmt.Fprintln(w, m.HostAddr())
			found = true
		}
	}
	if !found {
		return fmt.Errorf("no public port '%s' published for %s", key, rec.Name)
	}
	return nil
}

// mappings are rec's ports in docker port's order: by container port,
// then protocol, each port's host addresses as bound.
func mappings(rec state.Published) []ports.Mapping {
	ms := make([]ports.Mapping, 0, len(rec.Ports))
	for _, p := range rec.Ports {
		ip, _ := netip.ParseAddr(p.HostIP)
		ms = append(ms, ports.Mapping{HostIP: ip, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Proto: p.Proto})
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].ContainerPort != ms[j].ContainerPort {
			return ms[i].ContainerPort < ms[j].ContainerPort
		}
		return ms[i].Proto < ms[j].Proto
	})
	return ms
}

// portKey is PRIVATE_PORT[/PROTO] as "80/tcp".
func portKey(s string) (string, error) {
	port, proto, ok := strings.Cut(s, "/")
	if !ok {
		proto = "tcp"
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 || (proto != "tcp" && proto != "udp") {
		return "", fmt.Errorf("invalid port %q: give PRIVATE_PORT[/tcp|/udp], e.g. 80/tcp", s)
	}
	return strconv.FormatUint(n, 10) + "/" + proto, nil
}

// findPublished finds a running container's ports record by name, full
// id or unique id prefix. A running container that publishes nothing has
// no record: it gets an empty one, as docker port prints nothing for it.
func findPublished(want string) (state.Published, error) {
	all, err := state.ListPorts(state.Dir())
	if err != nil {
		return state.Published{}, err
	}
	var found []state.Published
	for _, p := range all {
		if p.Name == want || p.ID == want {
			return p, nil
		}
		if strings.HasPrefix(p.ID, want) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		if r, err := lookup(runningOrNone(), want); err == nil {
			return state.Published{ID: r.ID, Name: r.Name}, nil
		}
		return state.Published{}, fmt.Errorf("no running container %q publishes ports (give its id, an id prefix or its name)", want)
	}
	return state.Published{}, fmt.Errorf("container id prefix %q is ambiguous: give more of it", want)
}

func runningOrNone() []state.Running {
	rs, _ := state.List(state.Dir())
	return rs
}

// lifecycle is the ports as a container's status records them.
func (p *publishedPorts) lifecycle() []lifecycle.Port {
	if p == nil || p.b == nil {
		return nil
	}
	var out []lifecycle.Port
	for _, m := range p.b.Ports() {
		out = append(out, lifecycle.Port{HostIP: m.HostIP.String(), HostPort: m.HostPort, ContainerPort: m.ContainerPort, Proto: m.Proto})
	}
	return out
}
