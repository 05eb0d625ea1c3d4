//go:build vm

// Resource limits, cgroup placement, stats and cleanup on a real cgroup v2
// kernel with a delegated subtree: the VM `just test-vm` boots
// (testdata/vm/README.md). nook runs as the test user, whose session
// vmDelegation() is; the limits are read back inside the container, whose
// own cgroup is the root of its /sys/fs/cgroup, and enforced on processes
// that allocate, fork or spin there.
//
// Every run here has --network none: these tests are about cgroups, the
// user-mode network has its own tests on the host, and once, with the
// host's CPUs taken by other work, a VM run with the default network hung
// in TestVMCPUQuotaThrottles until the harness killed qemu.

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vmWait bounds waiting for a container's output under the VM's software
// emulation; commands themselves are bounded by timeout.
const vmWait = 20 * time.Second

// readLimits runs a container with flags and returns the contents of the
// named interface files of its cgroup, as the container reads them at
// /sys/fs/cgroup.
func readLimits(t *testing.T, flags []string, files ...string) map[string]string {
	t.Helper()
	args := append([]string{"run", "--network", "none", "--rootfs", rootfs(t)}, flags...)
	args = append(args, "--", "sh", "-c", `for f; do printf '%s=%s\n' "$f" "$(cat "/sys/fs/cgroup/$f")"; done`, "sh")
	r := nook(t, append(args, files...)...)
	wantCode(t, r, 0)
	if r.Stderr != "" {
		t.Fatalf("reading %v with %v: stderr %q", files, flags, r.Stderr)
	}
	got := map[string]string{}
	for _, l := range lines(r.Stdout) {
		k, v, _ := strings.Cut(l, "=")
		got[k] = v
	}
	return got
}

func wantLimits(t *testing.T, flags []string, want map[string]string) {
	t.Helper()
	var files []string
	for f := range want {
		files = append(files, f)
	}
	slices.Sort(files)
	got := readLimits(t, flags, files...)
	for _, f := range files {
		if got[f] != want[f] {
			t.Errorf("%v: %s = %q, want %q", flags, f, got[f], want[f])
		}
	}
}

// held is a container kept running until the test releases it: nook run -i
// of `sh -c 'hostname; SCRIPT <newline> read x'`, which ends when the test
// writes a line. The hostname is the container's id (nook's default).
type held struct {
	*session
	id string
	// out is what SCRIPT printed, up to and including the marker waited for.
	out string
}

// hold starts such a container with flags and waits for marker on its
// stdout.
func hold(t *testing.T, flags []string, script, marker string) *held {
	t.Helper()
	args := append([]string{"run", "--network", "none", "-i", "--rootfs", rootfs(t)}, flags...)
	s := startNook(t, append(args, "--", "sh", "-c", "hostname; "+script+"\nread x")...)
	h := &held{session: s}
	h.id = strings.TrimSuffix(s.Expect("\n", vmWait), "\n")
	h.out = s.Expect(marker, vmWait)
	return h
}

// release lets the container's shell exit and waits for nook.
func (h *held) release() result {
	h.t.Helper()
	h.Write("\n")
	return h.Wait()
}

// dir is the cgroup nook makes for the container below base:
// base/nook/<nook's pid>-<id>.
func (h *held) dir(base string) string {
	return path.Join(base, "nook", fmt.Sprintf("%d-%s", h.Pid(), h.id))
}

// procs are the container's processes (nook's living descendants) once
// its shell is there.
func (h *held) procs() []proc {
	h.t.Helper()
	return waitDescendants(h.t, h.Pid(), "the container's shell", func(ps []proc) bool {
		return len(withComm(ps, "sh")) > 0
	})
}

// cgroupOf is the cgroup directory pid is in, as the host (the test, in
// the initial cgroup namespace) sees it.
func cgroupOf(t *testing.T, pid string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(string(b)) {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return path.Join("/sys/fs/cgroup", p)
		}
	}
	t.Fatalf("/proc/%s/cgroup has no cgroup v2 line: %q", pid, b)
	return ""
}

// wantAllIn fails unless every living process in procs is in cgroup dir.
func wantAllIn(t *testing.T, procs []proc, dir string) {
	t.Helper()
	for _, p := range procs {
		if p.State == 'Z' {
			continue
		}
		if got := cgroupOf(t, strconv.Itoa(p.Pid)); got != dir {
			t.Errorf("container process %d (%s) is in %s, want %s", p.Pid, p.Comm, got, dir)
		}
	}
}

func exists(t *testing.T, p string) bool {
	t.Helper()
	_, err := os.Stat(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// ownedBy lists the cgroups under base/nook whose name says nook pid made
// them.
func ownedBy(t *testing.T, base string, pid int) []string {
	t.Helper()
	m, err := filepath.Glob(path.Join(base, "nook", strconv.Itoa(pid)+"-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// removeCgroups removes cgroups a test made nook create (deepest first),
// so later tests find the delegation as they expect it.
func removeCgroups(t *testing.T, dirs ...string) {
	t.Cleanup(func() {
		for _, d := range dirs {
			if err := syscall.Rmdir(d); err != nil && err != syscall.ENOENT {
				t.Errorf("clean up %s: %v", d, err)
			}
		}
	})
}

// Memory

// A process that allocates beyond --memory is OOM-killed; nook exits 137
// with one line that names the limit.
func TestVMMemoryLimitOOMKills(t *testing.T) {
	r := nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "-m", "32m", "--", "probe", "hog", "64")
	wantCode(t, r, 137)
	if want := "nook: OOM killed: memory limit 32 MiB reached\n"; r.Stderr != want {
		t.Errorf("stderr %q, want %q", r.Stderr, want)
	}
	if strings.Contains(r.Stdout, "allocated") {
		t.Errorf("64 MiB were allocated under a 32 MiB limit: %q", r.Stdout)
	}
}

// Below the limit the same allocation runs to completion, without a word.
func TestVMMemoryBelowLimitRuns(t *testing.T) {
	r := nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "-m", "32m", "--", "probe", "hog", "8")
	wantCode(t, r, 0)
	if r.Stdout != "allocated 8 MiB\n" || r.Stderr != "" {
		t.Errorf("stdout %q, stderr %q; want %q and nothing", r.Stdout, r.Stderr, "allocated 8 MiB\n")
	}
}

// memory.max, memory.swap.max and memory.low follow --memory,
// --memory-swap (memory plus swap, so swap.max is their difference; -1 is
// unlimited; unset, as much swap as memory: Docker's rule) and
// --memory-reservation.
func TestVMMemoryFiles(t *testing.T) {
	const mib = 1 << 20
	n := func(v int) string { return strconv.Itoa(v) }
	for _, tc := range []struct {
		flags          []string
		max, swap, low string
	}{
		{nil, "max", "max", "0"},
		{[]string{"-m", "32m"}, n(32 * mib), n(32 * mib), "0"},
		{[]string{"--memory", "32m", "--memory-swap", "96m"}, n(32 * mib), n(64 * mib), "0"},
		{[]string{"-m", "32m", "--memory-swap", "32m"}, n(32 * mib), "0", "0"},
		{[]string{"-m", "32m", "--memory-swap", "-1"}, n(32 * mib), "max", "0"},
		{[]string{"-m", "64m", "--memory-reservation", "16m"}, n(64 * mib), n(64 * mib), n(16 * mib)},
		{[]string{"--memory-reservation", "16m"}, "max", "max", n(16 * mib)},
	} {
		name := strings.Join(tc.flags, " ")
		if name == "" {
			name = "no flag"
		}
		t.Run(name, func(t *testing.T) {
			wantLimits(t, tc.flags, map[string]string{
				"memory.max": tc.max, "memory.swap.max": tc.swap, "memory.low": tc.low,
			})
		})
	}
}

// Processes

// Under --pids-limit 10, forking stops short inside, with EAGAIN, while the
// container itself carries on and exits normally.
func TestVMPidsLimitForkFails(t *testing.T) {
	script := `(i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); echo started $i; done)
echo subshell $?
read n </sys/fs/cgroup/pids.current; echo current $n
while read k v; do [ "$k" = max ] && echo events $v; done </sys/fs/cgroup/pids.events
exit 0`
	r := nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "--pids-limit", "10", "--", "sh", "-c", script)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stderr, "can't fork: Resource temporarily unavailable") {
		t.Errorf("no fork failed with EAGAIN: stderr %q", r.Stderr)
	}
	got := map[string]int{}
	for _, l := range lines(r.Stdout) {
		k, v, _ := strings.Cut(l, " ")
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("unexpected line %q in %q", l, r.Stdout)
		}
		got[k] = n
	}
	if got["started"] < 1 || got["started"] >= 20 {
		t.Errorf("started %d of 20 sleeps under a limit of 10 processes\n%s", got["started"], r.Stdout)
	}
	if got["subshell"] == 0 {
		t.Errorf("the forking subshell did not fail\n%s", r.Stdout)
	}
	if got["current"] < 1 || got["current"] > 10 {
		t.Errorf("pids.current %d, want 1..10\n%s", got["current"], r.Stdout)
	}
	if got["events"] < 1 {
		t.Errorf("pids.events counts no fork refused at the limit\n%s", r.Stdout)
	}
}

// pids.max follows --pids-limit; -1 is unlimited.
func TestVMPidsFiles(t *testing.T) {
	wantLimits(t, []string{"--pids-limit", "10"}, map[string]string{"pids.max": "10"})
	wantLimits(t, []string{"--pids-limit", "-1"}, map[string]string{"pids.max": "max"})
}

// CPU

// cpuStat parses cpu.stat's "key value" lines.
func cpuStat(t *testing.T, text string) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	for _, l := range lines(strings.TrimSpace(text)) {
		k, v, ok := strings.Cut(l, " ")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			t.Fatalf("cpu.stat: unexpected line %q", l)
		}
		m[k] = n
	}
	return m
}

// Under --cpus 0.5 a CPU-bound loop of 2 s gets about half a CPU: its
// cgroup's usage over those 2 s stays under 0.5 × 2 s plus a generous
// tolerance, and the kernel throttled it.
func TestVMCPUQuotaThrottles(t *testing.T) {
	r := nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "--cpus", "0.5", "--",
		"sh", "-c", "cat /sys/fs/cgroup/cpu.stat; echo --; probe spin 2; cat /sys/fs/cgroup/cpu.stat")
	wantCode(t, r, 0)
	before, after, ok := strings.Cut(r.Stdout, "--\nspun\n")
	if !ok {
		t.Fatalf("unexpected output %q", r.Stdout)
	}
	b, a := cpuStat(t, before), cpuStat(t, after)
	used := time.Duration(a["usage_usec"]-b["usage_usec"]) * time.Microsecond
	t.Logf("2 s of spinning used %v of CPU, throttled %d times", used, a["nr_throttled"]-b["nr_throttled"])
	if limit := 1300 * time.Millisecond; used > limit {
		t.Errorf("2 s of spinning under --cpus 0.5 used %v of CPU, want at most %v", used, limit)
	}
	if a["nr_throttled"] <= b["nr_throttled"] {
		t.Errorf("never throttled: nr_throttled %d before, %d after (used %v)", b["nr_throttled"], a["nr_throttled"], used)
	}
}

// cpu.max follows --cpus; cpu.weight follows --cpu-weight, or --cpu-shares
// by crun's formula 1 + ((shares-2)×9999)/262142.
func TestVMCPUFiles(t *testing.T) {
	for _, tc := range []struct {
		flags      []string
		file, want string
	}{
		{[]string{"--cpus", "0.5"}, "cpu.max", "50000 100000"},
		{[]string{"--cpus", "1.5"}, "cpu.max", "150000 100000"},
		{[]string{"--cpu-shares", "1024"}, "cpu.weight", "39"},
		{[]string{"--cpu-shares", "2"}, "cpu.weight", "1"},
		{[]string{"--cpu-shares", "262144"}, "cpu.weight", "10000"},
		{[]string{"--cpu-weight", "500"}, "cpu.weight", "500"},
	} {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			wantLimits(t, tc.flags, map[string]string{tc.file: tc.want})
		})
	}
}

// --cpuset-cpus is honoured: cpuset.cpus reads the list and the container's
// processes may run only there.
func TestVMCpusetCPUs(t *testing.T) {
	for _, cpu := range []string{"1", "0"} {
		t.Run(cpu, func(t *testing.T) {
			r := nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "--cpuset-cpus", cpu, "--",
				"sh", "-c", "cat /sys/fs/cgroup/cpuset.cpus; grep Cpus_allowed_list /proc/self/status")
			wantCode(t, r, 0)
			if want := cpu + "\nCpus_allowed_list:\t" + cpu + "\n"; r.Stdout != want {
				t.Errorf("stdout %q, want %q (stderr %q)", r.Stdout, want, r.Stderr)
			}
		})
	}
}

// I/O

// io.weight follows --io-weight.
func TestVMIOWeight(t *testing.T) {
	b, err := os.ReadFile(path.Join(vmDelegation(), "cgroup.controllers"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(b)), "io") {
		t.Fatalf("the VM delegates no io controller: %s has %q", vmDelegation(), b)
	}
	wantLimits(t, []string{"--io-weight", "300"}, map[string]string{"io.weight": "default 300"})
}

// Placement and the cgroup namespace

// The container's cgroup namespace is rooted at its own cgroup: inside,
// its processes are in "/"; from the host, in base/nook/<nook's pid>-<id>.
// Both together say that PID 1 was in that cgroup when it was cloned with
// its new namespace (CLONE_INTO_CGROUP), not moved there afterwards.
func TestVMCgroupNamespaceRooted(t *testing.T) {
	h := hold(t, nil, "cat /proc/self/cgroup; echo ready", "ready\n")
	if h.out != "0::/\nready\n" {
		t.Errorf("/proc/self/cgroup inside: %q, want %q", strings.TrimSuffix(h.out, "ready\n"), "0::/\n")
	}
	wantAllIn(t, h.procs(), h.dir(vmDelegation()))
	wantCode(t, h.release(), 0)
}

// /sys/fs/cgroup is read-only inside by default: the container can neither
// change its limits nor make cgroups.
func TestVMCgroupMountReadOnly(t *testing.T) {
	for _, cmd := range []string{"echo max >/sys/fs/cgroup/memory.max", "mkdir /sys/fs/cgroup/sub"} {
		t.Run(cmd, func(t *testing.T) {
			r := nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "-m", "64m", "--", "sh", "-c", cmd)
			wantFailure(t, r, "Read-only file system")
		})
	}
}

// --cgroupns-rw mounts it read-write: the container can build a subtree
// of its own, but its own limits stay out of reach (nsdelegate: the root
// of a cgroup namespace takes no writes of its interface files from inside).
func TestVMCgroupnsRW(t *testing.T) {
	r := nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "--cgroupns-rw", "--", "sh", "-c",
		"mkdir /sys/fs/cgroup/sub && echo made; rmdir /sys/fs/cgroup/sub && echo removed")
	wantCode(t, r, 0)
	if r.Stdout != "made\nremoved\n" {
		t.Errorf("stdout %q, stderr %q; want made, removed", r.Stdout, r.Stderr)
	}
	r = nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "--cgroupns-rw", "-m", "64m", "--", "sh", "-c",
		"echo max >/sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/memory.max")
	if r.Stdout != strconv.Itoa(64<<20)+"\n" || !strings.Contains(r.Stderr, "Operation not permitted") {
		t.Errorf("the container raised its own memory limit, or failed otherwise: %v", r)
	}
}

// Stats

type vmStatsLine struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	CPU      float64 `json:"cpu_percent"`
	MemUsage uint64  `json:"mem_usage"`
	MemLimit uint64  `json:"mem_limit"`
	MemPct   float64 `json:"mem_percent"`
	Pids     uint64  `json:"pids"`
}

func statsJSON(t *testing.T, args ...string) []vmStatsLine {
	t.Helper()
	r := nook(t, append([]string{"stats", "--no-stream", "--format", "json"}, args...)...)
	wantCode(t, r, 0)
	var out []vmStatsLine
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		t.Fatalf("nook stats --format json: %v\n%s", err, r.Stdout)
	}
	return out
}

// holdHog runs a container under -m 64m whose probe holds 20 MiB.
func holdHog(t *testing.T) *held {
	t.Helper()
	return hold(t, []string{"-m", "64m"}, "probe hog 20 60 &", "allocated 20 MiB\n")
}

// While a container runs, nook stats reports it with sane numbers: the
// memory it holds (at least the 20 MiB, at most the limit), the limit,
// its processes.
func TestVMStatsJSON(t *testing.T) {
	h := holdHog(t)
	var line *vmStatsLine
	all := statsJSON(t)
	for i := range all {
		if all[i].ID == h.id {
			line = &all[i]
		}
	}
	if line == nil {
		t.Fatalf("nook stats does not list %s: %+v", h.id, all)
	}
	const mib = 1 << 20
	if line.MemLimit != 64*mib {
		t.Errorf("mem_limit %d, want %d", line.MemLimit, 64*mib)
	}
	if line.MemUsage < 20*mib || line.MemUsage > line.MemLimit {
		t.Errorf("mem_usage %d, want 20 MiB to the limit %d", line.MemUsage, line.MemLimit)
	}
	if want := float64(line.MemUsage) / float64(line.MemLimit) * 100; line.MemPct < want-0.01 || line.MemPct > want+0.01 {
		t.Errorf("mem_percent %.2f, want %.2f", line.MemPct, want)
	}
	if line.Pids < 2 {
		t.Errorf("pids %d, want at least the shell and the probe", line.Pids)
	}
	if line.CPU < 0 || line.CPU > 200 {
		t.Errorf("cpu_percent %.2f, want 0 to 200 (2 CPUs)", line.CPU)
	}
	wantCode(t, h.release(), 0)
}

// The table has a line for it: its id and its memory limit.
func TestVMStatsTable(t *testing.T) {
	h := holdHog(t)
	r := nook(t, "stats", "--no-stream")
	wantCode(t, r, 0)
	ls := lines(r.Stdout)
	if len(ls) == 0 || !strings.HasPrefix(ls[0], "CONTAINER ID") {
		t.Fatalf("no header: %q", r.Stdout)
	}
	var mine []string
	for _, l := range ls[1:] {
		if strings.HasPrefix(l, h.id+" ") {
			mine = append(mine, l)
		}
	}
	if len(mine) != 1 || !strings.Contains(mine[0], " / 64MiB") {
		t.Errorf("want one line for %s with its limit 64MiB, got:\n%s", h.id, r.Stdout)
	}
	wantCode(t, h.release(), 0)
}

// nook stats takes the container's id or a unique prefix of it; an unknown
// one is a one-line error.
func TestVMStatsSelect(t *testing.T) {
	h := holdHog(t)
	for _, sel := range []string{h.id, h.id[:5]} {
		if got := statsJSON(t, sel); len(got) != 1 || got[0].ID != h.id {
			t.Errorf("nook stats %s: %+v, want just %s", sel, got, h.id)
		}
	}
	r := nook(t, "stats", "--no-stream", "nosuchcontainer")
	wantCode(t, r, 125)
	oneLine(t, r, "nosuchcontainer")
	wantCode(t, h.release(), 0)
}

// Cleanup

// The container's cgroup goes when it exits: also when processes of it
// were still running then.
func TestVMCgroupRemovedAfterExit(t *testing.T) {
	t.Run("released", func(t *testing.T) {
		h := hold(t, []string{"-m", "64m"}, "echo ready", "ready\n")
		dir := h.dir(vmDelegation())
		if !exists(t, dir) {
			t.Fatalf("no cgroup %s while the container runs", dir)
		}
		wantCode(t, h.release(), 0)
		if exists(t, dir) {
			t.Errorf("%s is still there after the container exited", dir)
		}
	})
	t.Run("processes left behind", func(t *testing.T) {
		cmd := nookCmd(t, "run", "--network", "none", "--rootfs", rootfs(t), "--", "sh", "-c", "sleep 60 & exit 3")
		wantCode(t, run(t, cmd), 3)
		if left := ownedBy(t, vmDelegation(), cmd.Process.Pid); len(left) > 0 {
			t.Errorf("cgroups left after the container exited: %v", left)
		}
	})
}

// killed is a container whose nook was killed with SIGKILL while it ran.
type killed struct {
	nookPid int
	dir     string
	started map[int]string // the container's processes and their start times
}

func killNook(t *testing.T) killed {
	t.Helper()
	h := hold(t, nil, "sleep 60 & echo ready", "ready\n")
	k := killed{nookPid: h.Pid(), dir: h.dir(vmDelegation()), started: map[int]string{}}
	procs := waitDescendants(t, h.Pid(), "the shell and its sleep", func(ps []proc) bool {
		return len(withComm(ps, "sh")) == 1 && len(withComm(ps, "sleep")) == 1
	})
	for _, p := range procs {
		st, err := startTime(p.Pid)
		if err != nil {
			t.Fatal(err)
		}
		k.started[p.Pid] = st
	}
	wantAllIn(t, procs, k.dir)
	h.Signal(syscall.SIGKILL)
	if r := h.Wait(); r.Signal != syscall.SIGKILL {
		t.Fatalf("nook was not killed: %v", r)
	}
	return k
}

// When nook dies by SIGKILL, the container dies with it (PID 1's
// parent-death signal takes its PID namespace along).
func TestVMNookKilledContainerDies(t *testing.T) {
	k := killNook(t)
	var left []string
	ok := waitUntil(func() bool {
		left = stillRunning(k.started)
		return len(left) == 0
	})
	if !ok {
		t.Errorf("%v after nook was killed, still running: %v", settle, left)
	}
}

// The cgroup of a SIGKILLed nook stays (no one was left to remove it)
// until the next nook run, which sweeps it.
func TestVMStaleCgroupSwept(t *testing.T) {
	k := killNook(t)
	if !exists(t, k.dir) {
		t.Fatalf("%s is gone before any other nook ran: nothing left to sweep", k.dir)
	}
	wantCode(t, nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "--", "true"), 0)
	if left := ownedBy(t, vmDelegation(), k.nookPid); len(left) > 0 {
		t.Errorf("the next nook run left the dead nook's cgroups: %v", left)
	}
}

// Where the container's cgroup goes

// --cgroups=disabled makes none: the container stays in the cgroup it was
// started from, the test's own.
func TestVMCgroupsDisabled(t *testing.T) {
	h := hold(t, []string{"--cgroups=disabled"}, "echo ready", "ready\n")
	wantAllIn(t, h.procs(), vmUserScope())
	if made := ownedBy(t, vmDelegation(), h.Pid()); len(made) > 0 {
		t.Errorf("--cgroups=disabled made cgroups: %v", made)
	}
	wantCode(t, h.release(), 0)
}

// --cgroup-parent puts the container's cgroup under another cgroup of the
// delegation: a relative one below the delegation point, an absolute one
// below the cgroup2 mount.
func TestVMCgroupParent(t *testing.T) {
	rel := strings.TrimPrefix(vmDelegation(), "/sys/fs/cgroup")
	for _, tc := range []struct{ parent, base string }{
		{"ci", path.Join(vmDelegation(), "ci")},
		{"ci/jobs/7", path.Join(vmDelegation(), "ci/jobs/7")},
		{rel + "/abs", path.Join(vmDelegation(), "abs")},
	} {
		t.Run(tc.parent, func(t *testing.T) {
			var made []string
			for d := path.Join(tc.base, "nook"); d != vmDelegation(); d = path.Dir(d) {
				if !exists(t, d) {
					made = append(made, d)
				}
			}
			removeCgroups(t, made...)
			h := hold(t, []string{"--cgroup-parent", tc.parent}, "echo ready", "ready\n")
			wantAllIn(t, h.procs(), h.dir(tc.base))
			wantCode(t, h.release(), 0)
			if exists(t, h.dir(tc.base)) {
				t.Errorf("%s is still there after the container exited", h.dir(tc.base))
			}
		})
	}
}

// A --cgroup-parent outside the delegated cgroup is refused with one line
// before anything runs or is created.
func TestVMCgroupParentOutside(t *testing.T) {
	for _, parent := range []string{"/", "/user.slice", ".."} {
		t.Run(parent, func(t *testing.T) {
			r := nook(t, "run", "--network", "none", "--rootfs", rootfs(t), "--cgroup-parent", parent, "--", "echo", "ran")
			wantOneLine(t, r, 125, "--cgroup-parent", "outside")
		})
	}
	for _, d := range []string{"/sys/fs/cgroup/nook", "/sys/fs/cgroup/user.slice/nook", "/sys/fs/cgroup/user.slice/user-" + strconv.Itoa(env.uid) + ".slice/nook"} {
		if exists(t, d) {
			t.Errorf("a refused --cgroup-parent made %s", d)
		}
	}
}

// No limit flag

// Without any limit flag each container still gets a cgroup of its own on
// a delegated host.
func TestVMNoLimitCgroupPerContainer(t *testing.T) {
	a := hold(t, nil, "echo ready", "ready\n")
	b := hold(t, nil, "echo ready", "ready\n")
	if a.dir(vmDelegation()) == b.dir(vmDelegation()) {
		t.Fatalf("both containers have cgroup %s", a.dir(vmDelegation()))
	}
	for _, h := range []*held{a, b} {
		wantAllIn(t, h.procs(), h.dir(vmDelegation()))
	}
	wantCode(t, a.release(), 0)
	wantCode(t, b.release(), 0)
}

// The command's exit status is nook's, in a cgroup as without one, with
// nothing said.
func TestVMExitStatusWithCgroup(t *testing.T) {
	for name, flags := range map[string][]string{"no flag": nil, "limits": {"-m", "64m", "--pids-limit", "50"}} {
		t.Run(name, func(t *testing.T) {
			args := append(append([]string{"run", "--network", "none", "--rootfs", rootfs(t)}, flags...), "--", "sh", "-c", "exit 7")
			r := nook(t, args...)
			wantCode(t, r, 7)
			if r.Stderr != "" {
				t.Errorf("stderr %q, want nothing", r.Stderr)
			}
		})
	}
}
