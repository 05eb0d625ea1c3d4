package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// subtreeName is the cgroup below the delegation point (or --cgroup-parent)
	// that holds one cgroup per container.
	subtreeName = "nook"
	// evacuateName is the leaf the processes of a cgroup move to when a
	// controller has to be enabled in it (see evacuate).
	evacuateName = "nook-init"
	// removeTimeout bounds how long Remove waits for killed processes to go.
	removeTimeout = 2 * time.Second
)

// Cgroup is one container's cgroup.
type Cgroup struct {
	// Dir is the cgroup's directory, a path in the caller's mount namespace.
	Dir string
	dir *os.File // open for CLONE_INTO_CGROUP until Close
	m   *manager
}

// cgroupFS is what nook does to the cgroup file system. osFS is the real one;
// tests pass a fake that follows the kernel's rules.
type cgroupFS interface {
	Mkdir(dir string) error
	Rmdir(dir string) error
	ReadFile(name string) ([]byte, error)
	// WriteFile writes value to an existing file in one write(2).
	WriteFile(name, value string) error
	// SubDirs lists the names of dir's child cgroups.
	SubDirs(dir string) ([]string, error)
}

// manager carries the seams of Create, Remove and Sweep.
type manager struct {
	fs      cgroupFS
	owner   int                 // the pid that new cgroup names start with
	alive   func(pid int) bool  // whether a process exists
	kill    func(pid int) error // SIGKILL
	timeout time.Duration       // for Remove
}

func newManager() *manager {
	return &manager{fs: osFS{}, owner: os.Getpid(), alive: processExists, kill: sigkill, timeout: removeTimeout}
}

func (c *Cgroup) mgr() *manager {
	if c.m == nil {
		c.m = newManager()
	}
	return c.m
}

// Create makes the container's cgroup <base>/nook/<pid>-<name>, where pid is
// the caller's (so Sweep can tell a stale cgroup from a live one) and base is
// the delegation point h.Writable, or parent (--cgroup-parent): an absolute
// one is taken under h.Mount, a relative one under h.Writable, and either
// must lie inside h.Writable. Missing cgroups on the way are created.
//
// The controllers the limits need are enabled from h.Writable down, moving
// processes out of the way where the no-internal-processes rule demands it
// (see evacuate); memory, pids and io are enabled too where delegated and no
// process is in the way, for stats and OOM detection. Then the limits are
// written and the directory is left open for FD (CLONE_INTO_CGROUP).
func Create(h Host, parent, name string, l Limits) (*Cgroup, error) {
	return newManager().create(h, parent, name, l)
}

func (m *manager) create(h Host, parent, name string, l Limits) (*Cgroup, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if err := CheckLimits(h, l); err != nil {
		return nil, err
	}
	if p := h.placement(); p != "" {
		return nil, errors.New("cannot create a cgroup for the container: " + p)
	}
	base, err := baseDir(h, parent)
	if err != nil {
		return nil, err
	}
	need := l.Controllers()
	optional := accounting(h, need)
	for i, d := range chain(h.Writable, path.Join(base, subtreeName)) {
		if i > 0 {
			if err := m.fs.Mkdir(d); err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("create cgroup: %w", err)
			}
		}
		if optional, err = m.enable(d, need, optional); err != nil {
			return nil, err
		}
	}
	return m.leaf(path.Join(base, subtreeName, fmt.Sprintf("%d-%s", m.owner, name)), l)
}

// leaf makes the container's cgroup dir, writes the limits and leaves it
// open for FD (CLONE_INTO_CGROUP).
func (m *manager) leaf(dir string, l Limits) (*Cgroup, error) {
	if err := m.fs.Mkdir(dir); err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	if err := m.writeLimits(dir, l); err != nil {
		m.fs.Rmdir(dir)
		return nil, err
	}
	// Go opens every file O_CLOEXEC.
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		m.fs.Rmdir(dir)
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	return &Cgroup{Dir: dir, dir: f, m: m}, nil
}

func validName(name string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("create cgroup: invalid container name %q", name)
	}
	return nil
}

// baseDir is where the nook subtree goes.
func baseDir(h Host, parent string) (string, error) {
	if parent == "" {
		return h.Writable, nil
	}
	base := path.Join(h.Writable, parent)
	if path.IsAbs(parent) {
		base = path.Join(h.Mount, parent)
	}
	if !within(base, h.Writable) {
		return "", fmt.Errorf("--cgroup-parent %s: %s is outside your delegated cgroup %s: "+
			"give a cgroup below it (a relative path is taken from there)", parent, base, h.Writable)
	}
	for _, own := range []string{subtreeName, evacuateName} {
		if d := path.Join(h.Writable, own); within(base, d) {
			return "", fmt.Errorf("--cgroup-parent %s: %s belongs to nook itself: give another cgroup", parent, d)
		}
	}
	return base, nil
}

// within is whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// chain lists top and the cgroups below it down to bottom, which lies within top.
func chain(top, bottom string) []string {
	dirs := []string{top}
	rest := strings.TrimPrefix(strings.TrimPrefix(bottom, top), "/")
	if rest == "" {
		return dirs
	}
	d := top
	for e := range strings.SplitSeq(rest, "/") {
		d = path.Join(d, e)
		dirs = append(dirs, d)
	}
	return dirs
}

// controllerOrder is the order nook names controllers in.
var controllerOrder = [...]string{"memory", "cpu", "cpuset", "pids", "io"}

// accounting are the controllers enabled where delegated, limits or not
// (memory: usage and OOM kills; pids: the count; io: block I/O), for stats
// and OOM detection. cpu is not among them: usage is in cpu.stat without it,
// and enabling it changes how the container is scheduled.
func accounting(h Host, need []string) []string {
	var cs []string
	for _, c := range []string{"memory", "pids", "io"} {
		if slices.Contains(h.Delegated, c) && !slices.Contains(need, c) {
			cs = append(cs, c)
		}
	}
	return cs
}

// enable makes controllers available to dir's children: every one of need
// (or an error), and those of optional it can without moving processes or
// failing. It returns the optional ones enabled in dir, the only ones the
// cgroups below it can pass on.
func (m *manager) enable(dir string, need, optional []string) ([]string, error) {
	file := path.Join(dir, "cgroup.subtree_control")
	b, err := m.fs.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	have := strings.Fields(string(b))
	b, err = m.fs.ReadFile(path.Join(dir, "cgroup.controllers"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	available := strings.Fields(string(b))
	var addNeed, addOpt, kept []string
	for _, c := range need {
		if !slices.Contains(have, c) {
			addNeed = append(addNeed, c)
		}
	}
	for _, c := range optional {
		switch {
		case slices.Contains(have, c):
			kept = append(kept, c)
		case slices.Contains(available, c):
			addOpt = append(addOpt, c)
		}
	}
	if len(addNeed) > 0 {
		if err := m.evacuate(dir); err != nil {
			return nil, err
		}
	} else if len(addOpt) > 0 && m.holdsProcesses(dir) {
		addOpt = nil
	}
	if len(addNeed)+len(addOpt) == 0 {
		return kept, nil
	}
	err = m.fs.WriteFile(file, plusList(ordered(append(slices.Clone(addNeed), addOpt...))))
	if err != nil && len(addOpt) > 0 {
		addOpt = nil
		if len(addNeed) == 0 {
			return kept, nil
		}
		err = m.fs.WriteFile(file, plusList(addNeed))
	}
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EBUSY) {
			hint = " (it holds processes nook cannot move)"
		}
		return nil, fmt.Errorf("create cgroup: enable %s in %s: %w%s", strings.Join(addNeed, ", "), file, cause(err), hint)
	}
	return append(kept, addOpt...), nil
}

// ordered sorts controllers into controllerOrder.
func ordered(cs []string) []string {
	slices.SortStableFunc(cs, func(a, b string) int {
		return slices.Index(controllerOrder[:], a) - slices.Index(controllerOrder[:], b)
	})
	return cs
}

// holdsProcesses is whether the no-internal-processes rule keeps dir from
// enabling controllers as it is: a cgroup other than the root (only the root
// has no cgroup.type) with processes.
func (m *manager) holdsProcesses(dir string) bool {
	if _, err := m.fs.ReadFile(path.Join(dir, "cgroup.type")); errors.Is(err, fs.ErrNotExist) {
		return false
	}
	pids, err := m.procs(dir)
	return err != nil || len(pids) > 0
}

// evacuate moves every process of dir into the leaf dir/nook-init, as
// RootlessKit's --evacuate-cgroup2 does. cgroup v2's no-internal-processes
// rule lets a cgroup other than the root either hold processes or hand
// controllers to its children, never both, so they must go before a
// controller is enabled. This happens where nook's own cgroup is the
// delegation point (e.g. the root of a container's cgroup namespace): nook
// then moves itself, and its neighbours, into nook-init.
func (m *manager) evacuate(dir string) error {
	return m.moveAll(dir, path.Join(dir, evacuateName))
}

// moveAll moves every process of dir into its child leaf, made if needed.
func (m *manager) moveAll(dir, leaf string) error {
	if !m.holdsProcesses(dir) {
		// Also the root cgroup: the rule does not apply there, and its
		// kernel threads could not move anyway.
		return nil
	}
	// A process may fork while its siblings move: go round until none is left.
	for range 10 {
		pids, err := m.procs(dir)
		if err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
		pids = slices.DeleteFunc(pids, func(p int) bool { return p <= 0 })
		if len(pids) == 0 {
			// Processes of other PID namespaces read as 0 and cannot be
			// named; enabling then fails with EBUSY, which enable explains.
			return nil
		}
		if err := m.fs.Mkdir(leaf); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create cgroup: %w", err)
		}
		for _, pid := range pids {
			err := m.fs.WriteFile(path.Join(leaf, "cgroup.procs"), strconv.Itoa(pid))
			if err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("create cgroup: move process %d out of %s into %s: %w", pid, dir, leaf, cause(err))
			}
		}
	}
	return fmt.Errorf("create cgroup: processes keep appearing in %s while nook moves them into %s", dir, leaf)
}

// limitFlag names the option behind each interface file, for messages.
func limitFlag(file string) string {
	switch file {
	case "memory.max":
		return "--memory"
	case "memory.swap.max":
		return "--memory-swap"
	case "memory.low":
		return "--memory-reservation"
	case "cpu.max":
		return "--cpus"
	case "cpu.weight":
		return "--cpu-shares/--cpu-weight"
	case "cpuset.cpus":
		return "--cpuset-cpus"
	case "pids.max":
		return "--pids-limit"
	case "io.weight":
		return "--io-weight"
	}
	return file
}

func (m *manager) writeLimits(dir string, l Limits) error {
	for _, f := range l.Files() {
		file := path.Join(dir, f.Name)
		err := m.fs.WriteFile(file, f.Value)
		if errors.Is(err, fs.ErrNotExist) {
			switch {
			case f.Name == "memory.swap.max" && l.impliedSwap():
				// No swap accounting (swapaccount=0, or a kernel without
				// it): like Docker, drop the swap that only --memory implied.
				continue
			case f.Name == "io.weight":
				// Without blk-iocost the weight is BFQ's, 1..1000.
				err = m.fs.WriteFile(path.Join(dir, "io.bfq.weight"), "default "+strconv.FormatUint(bfqWeight(l.IOWeight), 10))
				if err == nil {
					continue
				}
			}
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s: this kernel offers no %s in %s: drop %s", limitFlag(f.Name), f.Name, dir, limitFlag(f.Name))
			}
		}
		if err != nil {
			return fmt.Errorf("%s: write %q to %s: %w", limitFlag(f.Name), f.Value, file, cause(err))
		}
	}
	return nil
}

// bfqWeight maps cgroup v2's io.weight range 1..10000 onto BFQ's 1..1000.
func bfqWeight(w uint64) uint64 {
	return max(1, min(1000, (w*1000+5000)/10000))
}

// procs reads the pids in dir/cgroup.procs; processes outside the caller's
// PID namespace read as 0.
func (m *manager) procs(dir string) ([]int, error) {
	b, err := m.fs.ReadFile(path.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for f := range strings.FieldsSeq(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s: malformed pid %q", path.Join(dir, "cgroup.procs"), f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// FD is the cgroup's directory descriptor for SysProcAttr.CgroupFD, -1 after
// Close.
func (c *Cgroup) FD() int {
	if c.dir == nil {
		return -1
	}
	return int(c.dir.Fd())
}

// Close closes the directory descriptor; the cgroup stays.
func (c *Cgroup) Close() {
	if c.dir != nil {
		c.dir.Close()
		c.dir = nil
	}
}

// OOMKilled is whether the kernel's OOM killer killed a process of the
// cgroup (memory.events oom_kill or oom_group_kill). Without the memory
// controller there is no memory.events: false.
func (c *Cgroup) OOMKilled() (bool, error) {
	file := path.Join(c.Dir, "memory.events")
	b, err := c.mgr().fs.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok || (k != "oom_kill" && k != "oom_group_kill") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return false, fmt.Errorf("%s: %s is not a number: %q", file, k, v)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// Remove kills what is left in the cgroup and below it (cgroup.kill, or
// SIGKILL to every pid on kernels before 5.14), waits for the processes to
// go and removes the cgroups. A cgroup that is already gone is no error.
func (c *Cgroup) Remove() error {
	return c.mgr().remove(c.Dir)
}

func (m *manager) remove(dir string) error {
	err := m.fs.WriteFile(path.Join(dir, "cgroup.kill"), "1")
	signal := false
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, err := m.fs.ReadFile(path.Join(dir, "cgroup.procs")); errors.Is(err, fs.ErrNotExist) {
			return nil // gone already
		}
		signal = true
	case err != nil:
		return fmt.Errorf("remove cgroup: write \"1\" to %s: %w", path.Join(dir, "cgroup.kill"), cause(err))
	}
	return m.removeTree(dir, signal, time.Now().Add(m.timeout))
}

// removeTree removes dir's children, then dir, once their processes are gone.
func (m *manager) removeTree(dir string, signal bool, deadline time.Time) error {
	subs, err := m.fs.SubDirs(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	for _, s := range subs {
		if err := m.removeTree(path.Join(dir, s), signal, deadline); err != nil {
			return err
		}
	}
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		pids, err := m.procs(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("remove cgroup: %w", err)
		}
		if len(pids) == 0 {
			// Exiting processes leave cgroup.procs a moment before they
			// leave the cgroup: EBUSY until then.
			err := m.fs.Rmdir(dir)
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if !errors.Is(err, syscall.EBUSY) {
				return fmt.Errorf("remove cgroup: %w", err)
			}
		} else if signal {
			for _, pid := range pids {
				if pid > 0 {
					m.kill(pid)
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: still busy after %v (%d processes in cgroup.procs)", dir, m.timeout, len(pids))
		}
		time.Sleep(delay)
	}
}

// Sweep removes the cgroups of nook processes that are gone (e.g. killed
// with SIGKILL) from h.Writable/nook, killing what still runs in them, and
// returns how many it removed. A cgroup is stale when the pid its name starts
// with no longer exists; cgroups of live processes, the caller's own and
// names not made by Create are left alone.
func Sweep(h Host) int {
	if h.Writable == "" {
		return 0
	}
	return newManager().sweep(path.Join(h.Writable, subtreeName))
}

func (m *manager) sweep(dir string) int {
	names, err := m.fs.SubDirs(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, name := range names {
		pid, ok := ownerOf(name)
		if !ok || pid == m.owner || m.alive(pid) {
			continue
		}
		if m.remove(path.Join(dir, name)) == nil {
			n++
		}
	}
	return n
}

// ownerOf parses the pid out of a name Create made: "<pid>-<name>".
func ownerOf(name string) (int, bool) {
	p, rest, ok := strings.Cut(name, "-")
	if !ok || rest == "" || p == "" || len(p) > 10 || !allDigits(p) {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	return pid, err == nil && pid > 0
}

// CheckLimits explains, before the container starts, why the host cannot
// honour l, naming the cause and the fix; nil when it can, and for zero
// limits whatever the host.
func CheckLimits(h Host, l Limits) error {
	if l.IsZero() {
		return nil
	}
	problems := h.Problems(l.Controllers())
	if len(problems) == 0 {
		return nil
	}
	var flags []string
	for _, c := range l.Controllers() {
		if !slices.Contains(h.Delegated, c) {
			flags = append(flags, l.flags(c)...)
		}
	}
	return fmt.Errorf("cannot apply %s: %s", strings.Join(flags, ", "), strings.Join(problems, "; "))
}

// cause is the errno inside a path error, whose path the message names anyway.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

func sigkill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// osFS is the cgroup file system itself.
type osFS struct{}

func (osFS) Mkdir(dir string) error { return os.Mkdir(dir, 0o755) }

func (osFS) Rmdir(dir string) error {
	if err := syscall.Rmdir(dir); err != nil {
		return &fs.PathError{Op: "rmdir", Path: dir, Err: err}
	}
	return nil
}

func (osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// WriteFile never creates (the kernel makes a cgroup's files) and does not
// truncate: a cgroup file takes each write(2) whole, from offset 0.
func (osFS) WriteFile(name, value string) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (osFS) SubDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
