package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Directions of a transfer, as the table names them.
const (
	c2h = "container→host"
	h2c = "host→container (-R)"
	// loopback is the ceiling: client and server on the host's 127.0.0.1.
	loopback = "loopback"
)

type options struct {
	reps, seconds int
	out, gvtap    string
	stacks        []stackSpec
}

// run is one measurement; rate in bit/s, err when it failed.
type run struct {
	round int
	path  string // loopback or a stack's name
	dir   string
	rate  float64
	// cpu is the stack process's CPU time over the transfer's wall time,
	// in cores (0 for loopback).
	cpu float64
	// frame is the average size of the frames that carried the data over
	// the TAP (the container's tx for container→host, its rx the other
	// way), drops the frames tap0 dropped meanwhile: in its queue to the
	// stack (tx) or from the stack (rx).
	frame float64
	drops int64
	err   error
}

type results struct {
	runs []run
	// rss is each stack's largest VmHWM over its rounds.
	rss map[string]int64
}

func bench(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if err := preflight(o); err != nil {
		return err
	}
	env, err := describe(o)
	if err != nil {
		return err
	}
	res := &results{rss: map[string]int64{}}
	paths := []string{loopback}
	for _, s := range o.stacks {
		paths = append(paths, s.name)
	}
	for round := 1; round <= o.reps; round++ {
		// The order rotates, so no path always follows the same one.
		for i := range paths {
			p := paths[(i+round-1)%len(paths)]
			if p == loopback {
				rate, err := iperfClient(nil, "127.0.0.1", o.seconds, false)
				res.add(run{round: round, path: loopback, dir: c2h, rate: rate, err: err})
				continue
			}
			res.measure(round, specNamed(o.stacks, p), o)
		}
	}
	env.loadAfter = loadAverage()
	md := render(o, env, res)
	fmt.Print(md)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "stacks: wrote %s\n", o.out)
	if n := res.failed(); n > 0 {
		return fmt.Errorf("%d of %d runs failed (listed in %s)", n, len(res.runs), o.out)
	}
	return nil
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("stacks", flag.ContinueOnError)
	reps := fs.Int("reps", 5, "rounds; every path is measured once per round")
	seconds := fs.Int("duration", 5, "seconds per transfer (iperf3 -t)")
	out := fs.String("out", "bin/bench/stacks.md", "where the markdown report goes")
	gvtap := fs.String("gvtap", defaultGvtap(), "the stacks-gvtap binary (module gvtap/)")
	only := fs.String("stacks", "nook,gvtap,rootlesskit", "the stacks to measure, comma-separated")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *reps < 1 || *seconds < 1 {
		return options{}, errors.New("-reps and -duration want positive numbers")
	}
	o := options{reps: *reps, seconds: *seconds, out: *out, gvtap: *gvtap}
	for name := range strings.SplitSeq(*only, ",") {
		s := specNamed(stacks, name)
		if s.name == "" {
			return options{}, fmt.Errorf("-stacks: unknown stack %q (nook, gvtap, rootlesskit)", name)
		}
		o.stacks = append(o.stacks, s)
	}
	return o, nil
}

func specNamed(specs []stackSpec, name string) stackSpec {
	for _, s := range specs {
		if s.name == name {
			return s
		}
	}
	return stackSpec{}
}

func preflight(o options) error {
	if os.Geteuid() != 0 {
		return errors.New("run as root: it makes TAP devices in new namespaces")
	}
	for _, tool := range []string{"iperf3", "nsenter", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s missing: apt-get install -y iperf3 util-linux iproute2", tool)
		}
	}
	for _, s := range o.stacks {
		if s.name != "nook" {
			if _, err := os.Stat(o.gvtap); err != nil {
				return fmt.Errorf("%v: build it with `just bench-stacks`, or pass -gvtap", err)
			}
			break
		}
	}
	return nil
}

// measure runs a stack's two transfers on a fresh namespace and server.
func (r *results) measure(round int, spec stackSpec, o options) {
	fail := func(err error) {
		r.add(run{round: round, path: spec.name, dir: c2h, err: err})
		r.add(run{round: round, path: spec.name, dir: h2c, err: err})
	}
	ns, err := newNamespace()
	if err != nil {
		fail(err)
		return
	}
	defer ns.close()
	srv, err := startServer(spec, ns, o.gvtap)
	if err != nil {
		fail(err)
		return
	}
	defer srv.stop()
	if err := ns.configure(srv.gateway); err != nil {
		fail(err)
		return
	}
	prefix := []string{"nsenter", "-t", strconv.Itoa(ns.pid()), "-n"}
	for _, dir := range []string{c2h, h2c} {
		st0, serr := ns.tapStats()
		cpu0, t0 := srv.cpuTime(), time.Now()
		rate, err := iperfClient(prefix, srv.gateway, o.seconds, dir == h2c)
		x := run{round: round, path: spec.name, dir: dir, rate: rate}
		x.cpu = (srv.cpuTime() - cpu0).Seconds() / time.Since(t0).Seconds()
		if st1, serr1 := ns.tapStats(); err == nil && serr == nil && serr1 == nil {
			bytes, frames := st1.TX.Bytes-st0.TX.Bytes, st1.TX.Packets-st0.TX.Packets
			if dir == h2c {
				bytes, frames = st1.RX.Bytes-st0.RX.Bytes, st1.RX.Packets-st0.RX.Packets
			}
			if frames > 0 {
				x.frame = float64(bytes) / float64(frames)
			}
			x.drops = st1.TX.Dropped - st0.TX.Dropped + st1.RX.Dropped - st0.RX.Dropped
		}
		if tail := srv.stderrTail(); err != nil && tail != "" {
			err = fmt.Errorf("%w; %s's stderr: %s", err, spec.name, tail)
		}
		x.err = err
		r.add(x)
	}
	r.rss[spec.name] = max(r.rss[spec.name], srv.peakRSS())
}

func (r *results) add(x run) {
	r.runs = append(r.runs, x)
	status := fmt.Sprintf("%.2f Gbit/s", x.rate/1e9)
	if x.cpu > 0 {
		status += fmt.Sprintf(", stack %.2f cores, frames %.0f B, %d dropped", x.cpu, x.frame, x.drops)
	}
	if x.err != nil {
		status = "failed: " + x.err.Error()
	}
	fmt.Fprintf(os.Stderr, "round %d  %-12s %-20s %s\n", x.round, x.path, x.dir, status)
}

func (r *results) failed() int {
	n := 0
	for _, x := range r.runs {
		if x.err != nil {
			n++
		}
	}
	return n
}

// rates are the successful runs' rates of one path and direction.
func (r *results) rates(path, dir string) []float64 {
	return r.pick(path, dir, func(x run) float64 { return x.rate })
}

// cpus are their stack processes' CPU use.
func (r *results) cpus(path, dir string) []float64 {
	return r.pick(path, dir, func(x run) float64 { return x.cpu })
}

// frames are their average data frame sizes.
func (r *results) frames(path, dir string) []float64 {
	return r.pick(path, dir, func(x run) float64 { return x.frame })
}

func (r *results) pick(path, dir string, f func(run) float64) []float64 {
	var v []float64
	for _, x := range r.runs {
		if x.path == path && x.dir == dir && x.err == nil {
			v = append(v, f(x))
		}
	}
	return v
}
