package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"nook/lifecycle"
)

type topCmd struct {
	Container string `arg:"" help:"Container (name, id or id prefix)."`
}

// Run lists the container's processes as the host sees them (docker top's
// default columns): every process in the PID namespace of its PID 1.
func (c *topCmd) Run(g *globals) error {
	_, ctr, err := resolveContainer(c.Container)
	if err != nil {
		return failed(err)
	}
	if ctr.State != lifecycle.Running {
		return failed(fmt.Errorf("container %s is not running", ctr.Name))
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", ctr.Pid))
	if err != nil {
		return failed(fmt.Errorf("container %s: %w", ctr.Name, err))
	}
	procs := processesIn(ns)
	w := tabwriter.NewWriter(g.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "UID\tPID\tPPID\tSTATE\tCMD")
	for _, p := range procs {
		fmt.Fprintf(w, "%d\t%d\t%d\t%s\t%s\n", p.uid, p.pid, p.ppid, p.state, p.cmd)
	}
	return failed(w.Flush())
}

type hostProc struct {
	pid, ppid, uid int
	state, cmd     string
}

// processesIn lists the host's processes whose PID namespace is ns.
func processesIn(ns string) []hostProc {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []hostProc
	for _, d := range dirs {
		if l, err := os.Readlink(d + "/ns/pid"); err != nil || l != ns {
			continue
		}
		if p, ok := readHostProc(d); ok {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

func readHostProc(dir string) (hostProc, bool) {
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return hostProc{}, false
	}
	p := hostProc{}
	p.pid, _ = strconv.Atoi(filepath.Base(dir))
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "PPid":
			p.ppid, _ = strconv.Atoi(f[0])
		case "Uid":
			p.uid, _ = strconv.Atoi(f[0])
		case "State":
			p.state = f[0]
		}
	}
	cmdline, _ := os.ReadFile(dir + "/cmdline")
	p.cmd = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	return p, true
}
