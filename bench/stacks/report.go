package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// environment is what the report says about the run.
type environment struct {
	date, kernel, iperf3, goVersion string
	cpus                            int
	loadBefore, loadAfter           string
	// modules: module path → version, of both binaries.
	modules [][2]string
}

func describe(o options) (environment, error) {
	e := environment{
		date:       time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		goVersion:  runtime.Version(),
		cpus:       runtime.NumCPU(),
		loadBefore: loadAverage(),
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("iperf3", "--version").Output(); err == nil {
		e.iperf3, _, _ = strings.Cut(string(out), "\n")
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "gvisor.dev/gvisor" {
				e.modules = append(e.modules, [2]string{"gvisor.dev/gvisor (nook/slirp)", d.Version})
			}
		}
	}
	for _, s := range o.stacks {
		if s.name == "nook" {
			continue
		}
		out, err := exec.Command(o.gvtap, "version").Output()
		if err != nil {
			return e, fmt.Errorf("%s version: %w", o.gvtap, err)
		}
		for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
			if path, version, ok := strings.Cut(line, " "); ok {
				e.modules = append(e.modules, [2]string{path, version})
			}
		}
		break
	}
	return e, nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func render(o options, e environment, r *results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# User-mode network stacks, side by side (bench/stacks)\n\n")
	fmt.Fprintf(&b, "%s; Linux %s, %d CPUs, load average %s before and %s after; %s; %s.\n",
		e.date, e.kernel, e.cpus, e.loadBefore, e.loadAfter, e.iperf3, e.goVersion)
	fmt.Fprintf(&b, "Each path %d times, %d s, one stream, the paths interleaved in every round; "+
		"medians in Gbit/s (min–max), the receiver's rate. A TAP (MTU %d) in a fresh user+network "+
		"namespace per round, the iperf3 client in it, the server on the host's 127.0.0.1 reached "+
		"through the stack's gateway.\n\n", o.reps, o.seconds, tapMTU)

	loop := median(r.rates(loopback, c2h))
	base := map[string]float64{c2h: median(r.rates("nook", c2h)), h2c: median(r.rates("nook", h2c))}
	b.WriteString("| stack | container→host | × nook | of loopback | stack CPU | frame | host→container (-R) | × nook | of loopback | stack CPU | frame | peak RSS |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| host loopback (ceiling) | %s | | 100 %% | | | | | | | | |\n", cell(r.rates(loopback, c2h)))
	for _, s := range o.stacks {
		fmt.Fprintf(&b, "| %s ", s.name)
		for _, dir := range []string{c2h, h2c} {
			v := r.rates(s.name, dir)
			m := median(v)
			fmt.Fprintf(&b, "| %s | %s | %s | %.2f | %.1f KiB ", cell(v), ratio(m, base[dir], "×"), ratio(m, loop, "%"),
				median(r.cpus(s.name, dir)), median(r.frames(s.name, dir))/1024)
		}
		fmt.Fprintf(&b, "| %.0f MiB |\n", float64(r.rss[s.name])/(1<<20))
	}
	b.WriteString("\nStack CPU: the stack process's user+system time over the transfer's wall time, in cores " +
		"(median). Frame: the average size of the frames that carried the data over tap0, from its " +
		"counters (median). Peak RSS: the stack process's VmHWM, the largest over the rounds.\n\n")
	for _, s := range o.stacks {
		fmt.Fprintf(&b, "- **%s**: %s\n", s.name, s.what)
	}
	b.WriteString("\nVersions:\n\n")
	for _, m := range e.modules {
		fmt.Fprintf(&b, "- %s %s\n", m[0], m[1])
	}
	b.WriteString("\nEvery run (drops: tap0's rx+tx dropped during the transfer):\n\n" +
		"| round | path | direction | Gbit/s | stack CPU | frame | drops |\n| ---: | --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, x := range r.runs {
		v, cpu, frame, drops := fmt.Sprintf("%.2f", x.rate/1e9), "", "", ""
		if x.path != loopback {
			cpu, frame, drops = fmt.Sprintf("%.2f", x.cpu), fmt.Sprintf("%.0f B", x.frame), fmt.Sprint(x.drops)
		}
		if x.err != nil {
			v = "failed: " + strings.ReplaceAll(x.err.Error(), "|", "/")
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s |\n", x.round, x.path, x.dir, v, cpu, frame, drops)
	}
	return b.String()
}

// cell is "median (min–max)" in Gbit/s, or "failed".
func cell(v []float64) string {
	if len(v) == 0 {
		return "failed"
	}
	lo, hi := slices.Min(v), slices.Max(v)
	return fmt.Sprintf("%.2f (%.1f–%.1f)", median(v)/1e9, lo/1e9, hi/1e9)
}

func ratio(v, base float64, unit string) string {
	if v == 0 || base == 0 {
		return "–"
	}
	if unit == "%" {
		return fmt.Sprintf("%.0f %%", 100*v/base)
	}
	return fmt.Sprintf("%.2f", v/base)
}
