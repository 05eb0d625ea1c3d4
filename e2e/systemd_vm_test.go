//go:build vm

// The systemd cgroup manager (cgroups/systemd.go) in the VM, which has no
// systemd: a session bus from the host's dbus-daemon with
// testdata/fakesystemd on it as the user manager, both run as the test
// user, the bus at $XDG_RUNTIME_DIR/bus as systemd's user bus is. nook finds
// it there (XDG_RUNTIME_DIR is the test's directory) and asks it for a
// transient scope below the delegated user@UID.service.

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// busWait bounds waiting for the bus and fakesystemd to come up, and for
// output, under the VM's software emulation.
const busWait = 20 * time.Second

// userBus is a session bus of the test user's, with fakesystemd on it or not.
type userBus struct {
	t      *testing.T
	dir    string // the XDG_RUNTIME_DIR for nook: the socket is dir/bus
	addr   string
	record string // fakesystemd's record of calls and events
}

// busRecord is one line of fakesystemd's record.
type busRecord struct {
	Call       string         `json:"call"`
	Event      string         `json:"event"`
	Unit       string         `json:"unit"`
	Mode       string         `json:"mode"`
	Properties map[string]any `json:"properties"`
	Cgroup     string         `json:"cgroup"`
	Error      string         `json:"error"`
}

// startUserBus starts dbus-daemon and, if fake, fakesystemd with fakeArgs,
// for the length of the test.
func startUserBus(t *testing.T, fake bool, fakeArgs ...string) *userBus {
	t.Helper()
	b := &userBus{t: t, dir: userTempDir(t)}
	b.record = filepath.Join(b.dir, "record")
	daemon := startSession(t, asUserCmd(t, "/usr/bin/dbus-daemon", "--session", "--nofork",
		"--address=unix:path="+filepath.Join(b.dir, "bus"), "--print-address"))
	b.addr = strings.TrimSpace(daemon.Expect("\n", busWait))
	if !fake {
		return b
	}
	bin := os.Getenv("NOOK_E2E_FAKESYSTEMD")
	if bin == "" {
		t.Fatal("NOOK_E2E_FAKESYSTEMD is not set: just test-vm builds testdata/fakesystemd and sets it")
	}
	cmd := asUserCmd(t, bin, append([]string{"-record", b.record}, fakeArgs...)...)
	cmd.Env = append(cmd.Env, "DBUS_SESSION_BUS_ADDRESS="+b.addr)
	f := startSession(t, cmd)
	f.Expect("ready\n", busWait)
	// Before the process group is killed: fakesystemd disables the
	// controllers it enabled, so that later tests find the delegation as
	// they expect it.
	t.Cleanup(func() {
		f.Signal(syscall.SIGTERM)
		if r := f.Wait(); r.Code != 0 {
			t.Errorf("fakesystemd: %v", r)
		}
	})
	return b
}

// nook prepares nook to run as the test user with this bus as its user bus.
func (b *userBus) nook(args ...string) *exec.Cmd {
	cmd := nookCmd(b.t, args...)
	cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+b.dir)
	return cmd
}

// records reads fakesystemd's record.
func (b *userBus) records() []busRecord {
	b.t.Helper()
	f, err := os.Open(b.record)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		b.t.Fatal(err)
	}
	defer f.Close()
	var rs []busRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r busRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.t.Fatalf("%s: %q: %v", b.record, sc.Text(), err)
		}
		rs = append(rs, r)
	}
	return rs
}

// starts are the StartTransientUnit calls for unit.
func (b *userBus) starts(unit string) []busRecord {
	b.t.Helper()
	var out []busRecord
	for _, r := range b.records() {
		if r.Call == "StartTransientUnit" && r.Unit == unit {
			out = append(out, r)
		}
	}
	return out
}

// wantStarted fails unless fakesystemd was asked once for container id's
// scope, as nook's systemd manager asks, with nook (pid) in it.
func (b *userBus) wantStarted(id string, pid int) {
	b.t.Helper()
	unit := "nook-" + id + ".scope"
	calls := b.starts(unit)
	if len(calls) != 1 {
		b.t.Fatalf("StartTransientUnit calls for %s: %+v; all: %+v", unit, calls, b.records())
	}
	c := calls[0]
	if c.Mode != "fail" {
		b.t.Errorf("mode %q, want fail", c.Mode)
	}
	want := map[string]string{
		"Description": "nook container " + id, "PIDs": fmt.Sprintf("[%d]", pid),
		"Delegate": "true", "CollectMode": "inactive-or-failed",
	}
	for k, v := range want {
		if got := fmt.Sprint(c.Properties[k]); got != v {
			b.t.Errorf("property %s = %s, want %s", k, got, v)
		}
	}
	if len(c.Properties) != len(want) {
		b.t.Errorf("properties %v, want only %v", c.Properties, want)
	}
}

// wantCollected fails unless container id's scope is gone (fakesystemd
// collects it once it is empty, as systemd does).
func (b *userBus) wantCollected(id string) {
	b.t.Helper()
	dir := vmScopeDir(id)
	if !waitUntil(func() bool { _, err := os.Stat(dir); return errors.Is(err, fs.ErrNotExist) }) {
		b.t.Errorf("%s is still there %v after nook exited: %+v", dir, settle, b.records())
	}
	for _, r := range b.records() {
		if r.Event == "collected" && r.Unit == "nook-"+id+".scope" && r.Error != "" {
			b.t.Errorf("fakesystemd could not collect the scope: %s", r.Error)
		}
	}
}

// vmScopeDir is where fakesystemd makes container id's scope: in app.slice
// of the user manager's cgroup, as systemd does.
func vmScopeDir(id string) string {
	return path.Join(vmDelegation(), "app.slice", "nook-"+id+".scope")
}

// running is a container kept running until the test writes a line: nook
// run -i of `sh -c 'hostname; echo ready; read x'`.
type running struct {
	*session
	id    string
	procs []proc // the container's processes once its shell runs
}

func startRunning(t *testing.T, cmd *exec.Cmd) *running {
	t.Helper()
	s := startSession(t, cmd)
	c := &running{session: s}
	c.id = strings.TrimSuffix(s.Expect("\n", busWait), "\n")
	s.Expect("ready\n", busWait)
	c.procs = waitDescendants(t, s.Pid(), "the container's shell", func(ps []proc) bool {
		return len(withComm(ps, "sh")) > 0
	})
	return c
}

// wantIn fails unless every living process of the container is in dir.
func (c *running) wantIn(dir string) {
	c.t.Helper()
	for _, p := range c.procs {
		if p.State == 'Z' {
			continue
		}
		if got := cgroupOf(c.t, strconv.Itoa(p.Pid)); got != dir {
			c.t.Errorf("container process %d (%s) is in %s, want %s", p.Pid, p.Comm, got, dir)
		}
	}
}

func readTrimmed(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The brief's own run: with the bus there, nook asks systemd for the scope,
// the container sees its cgroup as the root with the limit, and the scope
// goes once nook is gone.
func TestVMSystemdScopeRun(t *testing.T) {
	b := startUserBus(t, true)
	cmd := b.nook("run", "--network", "none", "-m", "32m", "--rootfs", rootfs(t), "--",
		"cat", "/etc/hostname", "/proc/self/cgroup", "/sys/fs/cgroup/memory.max")
	r := run(t, cmd)
	wantCode(t, r, 0)
	if r.Stderr != "" {
		t.Errorf("stderr %q, want nothing", r.Stderr)
	}
	out := lines(r.Stdout)
	if len(out) != 3 || out[1] != "0::/" || out[2] != strconv.Itoa(32<<20) {
		t.Fatalf("output %q, want the id, 0::/ and %d", out, 32<<20)
	}
	b.wantStarted(out[0], cmd.Process.Pid)
	b.wantCollected(out[0])
}

// While it runs, from the host: nook is in the scope's supervisor, the
// container in its container cgroup with the limit, the scope itself holds
// no process and hands the controllers on.
func TestVMSystemdScopeLayout(t *testing.T) {
	b := startUserBus(t, true)
	c := startRunning(t, b.nook("run", "--network", "none", "-i", "-m", "32m", "--pids-limit", "50", "--rootfs", rootfs(t), "--",
		"sh", "-c", "hostname; echo ready; read x"))
	b.wantStarted(c.id, c.Pid())
	scope := vmScopeDir(c.id)
	c.wantIn(path.Join(scope, "container"))
	if got := cgroupOf(t, strconv.Itoa(c.Pid())); got != path.Join(scope, "supervisor") {
		t.Errorf("nook is in %s, want %s/supervisor", got, scope)
	}
	for file, want := range map[string]string{
		"cgroup.procs":            "",
		"supervisor/cgroup.procs": strconv.Itoa(c.Pid()),
		"container/memory.max":    strconv.Itoa(32 << 20),
		"container/pids.max":      "50",
	} {
		if got := readTrimmed(t, path.Join(scope, file)); got != want {
			t.Errorf("%s/%s = %q, want %q", scope, file, got, want)
		}
	}
	enabled := strings.Fields(readTrimmed(t, path.Join(scope, "cgroup.subtree_control")))
	for _, ctl := range []string{"memory", "pids"} {
		if !slices.Contains(enabled, ctl) {
			t.Errorf("%s/cgroup.subtree_control = %q, want %s in it", scope, enabled, ctl)
		}
	}
	c.Write("\n")
	wantCode(t, c.Wait(), 0)
	b.wantCollected(c.id)
}

// nook killed with SIGKILL: the container dies with it, the scope empties
// and systemd collects it; nothing is left for a sweep.
func TestVMSystemdScopeNookKilled(t *testing.T) {
	b := startUserBus(t, true)
	c := startRunning(t, b.nook("run", "--network", "none", "-i", "--rootfs", rootfs(t), "--", "sh", "-c", "hostname; echo ready; read x"))
	c.wantIn(path.Join(vmScopeDir(c.id), "container"))
	c.Signal(syscall.SIGKILL)
	if r := c.Wait(); r.Signal != syscall.SIGKILL {
		t.Fatalf("nook was not killed: %v", r)
	}
	b.wantCollected(c.id)
}

// --cgroup-manager=cgroupfs with the bus there: nook makes the cgroup
// itself, below the delegation point, and asks systemd nothing.
func TestVMSystemdScopeCgroupfsFlag(t *testing.T) {
	b := startUserBus(t, true)
	mine := vmUserScope()
	c := startRunning(t, b.nook("run", "--network", "none", "-i", "--cgroup-manager=cgroupfs", "-m", "32m", "--rootfs", rootfs(t), "--",
		"sh", "-c", "hostname; echo ready; read x"))
	dir := path.Join(vmDelegation(), "nook", fmt.Sprintf("%d-%s", c.Pid(), c.id))
	c.wantIn(dir)
	if got := cgroupOf(t, strconv.Itoa(c.Pid())); got != mine {
		t.Errorf("nook is in %s, want %s (where it was started)", got, mine)
	}
	if got := readTrimmed(t, path.Join(dir, "memory.max")); got != strconv.Itoa(32<<20) {
		t.Errorf("memory.max = %s", got)
	}
	c.Write("\n")
	wantCode(t, c.Wait(), 0)
	if rs := b.records(); len(rs) > 0 {
		t.Errorf("systemd was asked: %+v", rs)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is still there after the container exited", dir)
	}
}

// A job that fails: one line naming the scope and the result, before the
// command runs.
func TestVMSystemdScopeJobFails(t *testing.T) {
	b := startUserBus(t, true, "-result", "failed")
	r := run(t, b.nook("run", "--network", "none", "-m", "32m", "--rootfs", rootfs(t), "--", "echo", "ran"))
	wantOneLine(t, r, 125, "systemd could not start the scope nook-", `job result "failed"`, "journalctl --user")
}

// A bus without systemd on it: by default nook falls back to cgroupfs,
// silently; --cgroup-manager=systemd is one line that names the fixes.
func TestVMSystemdScopeNoManager(t *testing.T) {
	b := startUserBus(t, false)
	r := run(t, b.nook("run", "--network", "none", "-m", "32m", "--rootfs", rootfs(t), "--", "cat", "/sys/fs/cgroup/memory.max"))
	wantCode(t, r, 0)
	if r.Stdout != strconv.Itoa(32<<20)+"\n" || r.Stderr != "" {
		t.Errorf("stdout %q, stderr %q; want the limit and nothing said", r.Stdout, r.Stderr)
	}
	r = run(t, b.nook("run", "--network", "none", "--cgroup-manager=systemd", "--rootfs", rootfs(t), "--", "echo", "ran"))
	wantOneLine(t, r, 125, "no systemd user manager at unix:path="+b.dir+"/bus", "loginctl enable-linger", "--cgroup-manager=cgroupfs")
}

// No bus at all (the tests' own XDG_RUNTIME_DIR): --cgroup-manager=systemd
// is one line that names the fixes; without the flag, cgroupfs as ever.
func TestVMSystemdScopeNoBus(t *testing.T) {
	r := nook(t, "run", "--network", "none", "--cgroup-manager=systemd", "--rootfs", rootfs(t), "--", "echo", "ran")
	wantOneLine(t, r, 125, "no systemd user manager at unix:path="+env.runtimeDir+"/bus", "loginctl enable-linger", "--cgroup-manager=cgroupfs")
	r = nook(t, "run", "--network", "none", "-m", "32m", "--rootfs", rootfs(t), "--", "cat", "/sys/fs/cgroup/memory.max")
	wantCode(t, r, 0)
	if r.Stdout != strconv.Itoa(32<<20)+"\n" {
		t.Errorf("stdout %q", r.Stdout)
	}
}
