package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"
	"nook/cgroups"
	"nook/state"
)

type statsCmd struct {
	NoStream   bool     `help:"Print one sample and exit."`
	Format     string   `default:"table" enum:"table,json" help:"Output format: table or json."`
	Containers []string `arg:"" optional:"" help:"Containers (id, id prefix or name); all running ones when none is given."`
}

// statsLine is one container's sample, as Docker's stats shows it.
type statsLine struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	CPU      float64 `json:"cpu_percent"`
	MemUsage uint64  `json:"mem_usage"`
	MemLimit uint64  `json:"mem_limit"`
	MemPct   float64 `json:"mem_percent"`
	NetRx    uint64  `json:"net_rx"`
	NetTx    uint64  `json:"net_tx"`
	BlockIn  uint64  `json:"block_read"`
	BlockOut uint64  `json:"block_write"`
	Pids     uint64  `json:"pids"`
}

// interval is the sampling period: CPU % is the usage between two samples.
const interval = time.Second

func (c *statsCmd) Run(g *globals) error {
	if _, err := c.selected(); err != nil {
		return err
	}
	prev := map[string]cgroups.Stats{}
	last := time.Now()
	c.sample(prev) // the baseline CPU % is measured against
	for {
		time.Sleep(interval)
		now := time.Now()
		lines, err := c.sampleLines(prev, now.Sub(last))
		if err != nil {
			return err
		}
		last = now
		if err := c.print(g.Stdout, lines); err != nil {
			return err
		}
		if c.NoStream {
			return nil
		}
	}
}

func (c *statsCmd) selected() ([]state.Running, error) {
	all, err := state.List(state.Dir())
	if err != nil {
		return nil, err
	}
	if len(c.Containers) == 0 {
		return all, nil
	}
	var out []state.Running
	for _, want := range c.Containers {
		r, err := lookup(all, want)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// lookup finds a container by name, full id or unique id prefix.
func lookup(all []state.Running, want string) (state.Running, error) {
	var found []state.Running
	for _, r := range all {
		if r.Name == want || r.ID == want {
			return r, nil
		}
		if strings.HasPrefix(r.ID, want) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return state.Running{}, fmt.Errorf("no running container %q (nook stats lists containers that have a cgroup)", want)
	}
	return state.Running{}, fmt.Errorf("container id prefix %q is ambiguous: give more of it", want)
}

func (c *statsCmd) sample(into map[string]cgroups.Stats) {
	rs, _ := c.selected()
	for _, r := range rs {
		if s, err := cgroups.ReadStats(r.Cgroup); err == nil {
			into[r.ID] = s
		}
	}
}

func (c *statsCmd) sampleLines(prev map[string]cgroups.Stats, elapsed time.Duration) ([]statsLine, error) {
	rs, err := c.selected()
	if err != nil {
		return nil, err
	}
	memTotal, _ := cgroups.MemTotal("/proc")
	lines := make([]statsLine, 0, len(rs))
	for _, r := range rs {
		s, err := cgroups.ReadStats(r.Cgroup)
		if err != nil {
			continue // it exited between the listing and now
		}
		l := statsLine{ID: r.ID, Name: r.Name, MemUsage: s.MemoryUsed(), MemLimit: s.MemoryLimitOr(memTotal),
			BlockIn: s.IORead, BlockOut: s.IOWrite, Pids: s.Pids}
		if l.MemLimit > 0 {
			l.MemPct = float64(l.MemUsage) / float64(l.MemLimit) * 100
		}
		if p, ok := prev[r.ID]; ok {
			l.CPU = cgroups.CPUPercent(p, s, elapsed, runtime.NumCPU())
		}
		prev[r.ID] = s
		l.NetRx, l.NetTx = netIO(r.Pid)
		lines = append(lines, l)
	}
	return lines, nil
}

func (c *statsCmd) print(w io.Writer, lines []statsLine) error {
	if c.Format == "json" {
		return json.NewEncoder(w).Encode(lines)
	}
	if !c.NoStream && isTerminal(w) {
		fmt.Fprint(w, "\033[2J\033[H") // redraw in place, as docker stats does
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tNET I/O\tBLOCK I/O\tPIDS")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%.2f%%\t%s / %s\t%.2f%%\t%s / %s\t%s / %s\t%d\n", l.ID, l.Name, l.CPU,
			cgroups.FormatBytes(l.MemUsage), cgroups.FormatBytes(l.MemLimit), l.MemPct,
			cgroups.FormatBytes(l.NetRx), cgroups.FormatBytes(l.NetTx),
			cgroups.FormatBytes(l.BlockIn), cgroups.FormatBytes(l.BlockOut), l.Pids)
	}
	return tw.Flush()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// netIO sums the traffic of the container's interfaces but lo, read from
// its network namespace through its PID 1.
func netIO(pid int) (rx, tx uint64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(fields[0], 10, 64)
		t, _ := strconv.ParseUint(fields[8], 10, 64)
		rx, tx = rx+r, tx+t
	}
	return rx, tx
}
