package cgroups

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// fakeKernel is a cgroupFS over a t.TempDir() tree of plain files that keeps
// the cgroup v2 rules nook relies on:
//   - mkdir fills the new cgroup with its interface files, with the
//     controllers its parent's cgroup.subtree_control enables;
//   - files are never created by a write;
//   - "+c" in cgroup.subtree_control needs c in cgroup.controllers (ENOENT)
//     and, outside the root (the only cgroup without cgroup.type), no
//     processes (EBUSY); it makes c appear in the children;
//   - a pid written to cgroup.procs moves from wherever it is (ESRCH if it is
//     nowhere), and not into a cgroup that enables controllers (EBUSY);
//   - cgroup.kill empties the cgroup and its descendants;
//   - rmdir fails with EBUSY while there are processes or child cgroups.
//
// It cannot tell what the real kernel would refuse to an unprivileged
// writer, nor reproduce timing.
type fakeKernel struct {
	t      *testing.T
	root   string   // the fake mount point (the root cgroup)
	writes []string // "path value", relative to root, in order
	killed []int    // by cgroup.kill or kill
	noKill bool     // no cgroup.kill (kernels before 5.14)
	noSwap bool     // no memory.swap.max (no swap accounting)
	noIOWt bool     // io.bfq.weight instead of io.weight (BFQ without blk-iocost)
	// busyRmdirs makes that many rmdirs fail with EBUSY first, as while
	// killed processes are still exiting.
	busyRmdirs int
	// stuck pids ignore kill and cgroup.kill.
	stuck []int
}

func newFakeKernel(t *testing.T) *fakeKernel {
	k := &fakeKernel{t: t, root: t.TempDir()}
	// The root cgroup: no cgroup.type, cgroup.kill or limit files.
	k.put("", map[string]string{
		"cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc", "cgroup.subtree_control": "",
		"cgroup.procs": "",
	})
	return k
}

// p is rel's host path.
func (k *fakeKernel) p(rel string) string { return filepath.Join(k.root, rel) }

func (k *fakeKernel) rel(p string) string {
	r, err := filepath.Rel(k.root, p)
	if err != nil || strings.HasPrefix(r, "..") {
		k.t.Fatalf("fake kernel: %s is outside the fake cgroup root %s", p, k.root)
	}
	return r
}

func (k *fakeKernel) put(rel string, files map[string]string) {
	k.t.Helper()
	writeFiles(k.t, k.p(rel), files)
}

func (k *fakeKernel) get(rel string) string {
	k.t.Helper()
	b, err := os.ReadFile(k.p(rel))
	if err != nil {
		k.t.Fatal(err)
	}
	return string(b)
}

// cgroup makes the non-root cgroup rel as a hierarchy set up by someone else
// would have it: with its controllers, subtree_control and processes.
func (k *fakeKernel) cgroup(rel, controllers, subtree string, pids ...int) {
	k.t.Helper()
	if err := k.Mkdir(k.p(rel)); err != nil {
		k.t.Fatal(err)
	}
	k.put(rel, map[string]string{"cgroup.controllers": controllers, "cgroup.subtree_control": subtree,
		"cgroup.procs": pidList(pids)})
	k.addFiles(rel)
}

func pidList(pids []int) string {
	var b strings.Builder
	for _, p := range pids {
		b.WriteString(strconv.Itoa(p) + "\n")
	}
	return b.String()
}

func fields(s string) []string { return strings.Fields(s) }

// controllerFiles are the interface files each controller adds, with their
// defaults.
func (k *fakeKernel) controllerFiles(c string) map[string]string {
	switch c {
	case "memory":
		m := map[string]string{"memory.max": "max\n", "memory.low": "0\n", "memory.current": "0\n",
			"memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"}
		if !k.noSwap {
			m["memory.swap.max"] = "max\n"
		}
		return m
	case "cpu":
		return map[string]string{"cpu.max": "max 100000\n", "cpu.weight": "100\n"}
	case "cpuset":
		return map[string]string{"cpuset.cpus": "\n"}
	case "pids":
		return map[string]string{"pids.max": "max\n", "pids.current": "0\n"}
	case "io":
		if k.noIOWt {
			return map[string]string{"io.bfq.weight": "default 100\n"}
		}
		return map[string]string{"io.weight": "default 100\n"}
	}
	return nil
}

// addFiles adds the interface files of rel's controllers that are missing.
func (k *fakeKernel) addFiles(rel string) {
	for _, c := range fields(k.get(filepath.Join(rel, "cgroup.controllers"))) {
		for name, body := range k.controllerFiles(c) {
			p := k.p(filepath.Join(rel, name))
			if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					k.t.Fatal(err)
				}
			}
		}
	}
}

func (k *fakeKernel) isCgroup(p string) bool {
	_, err := os.Stat(filepath.Join(p, "cgroup.procs"))
	return err == nil
}

func (k *fakeKernel) Mkdir(dir string) error {
	parent := filepath.Dir(dir)
	if !k.isCgroup(parent) {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOENT}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	rel := k.rel(dir)
	files := map[string]string{
		"cgroup.controllers":     k.get(filepath.Join(k.rel(parent), "cgroup.subtree_control")),
		"cgroup.subtree_control": "", "cgroup.procs": "", "cgroup.type": "domain\n",
		"cgroup.events": "populated 0\nfrozen 0\n", "cpu.stat": "usage_usec 0\n",
	}
	if !k.noKill {
		files["cgroup.kill"] = ""
	}
	k.put(rel, files)
	k.addFiles(rel)
	return nil
}

func (k *fakeKernel) Rmdir(dir string) error {
	if !k.isCgroup(dir) {
		return &fs.PathError{Op: "rmdir", Path: dir, Err: syscall.ENOENT}
	}
	subs, _ := k.SubDirs(dir)
	if k.get(filepath.Join(k.rel(dir), "cgroup.procs")) != "" || len(subs) > 0 || k.busyRmdirs > 0 {
		k.busyRmdirs = max(k.busyRmdirs-1, 0)
		return &fs.PathError{Op: "rmdir", Path: dir, Err: syscall.EBUSY}
	}
	return os.RemoveAll(dir)
}

func (k *fakeKernel) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

func (k *fakeKernel) SubDirs(dir string) ([]string, error) { return osFS{}.SubDirs(dir) }

func (k *fakeKernel) WriteFile(name, value string) error {
	rel := k.rel(name)
	k.writes = append(k.writes, rel+" "+value)
	if _, err := os.Stat(name); err != nil {
		return err // never created
	}
	fail := func(errno syscall.Errno) error { return &fs.PathError{Op: "write", Path: name, Err: errno} }
	dir := filepath.Dir(rel)
	switch filepath.Base(name) {
	case "cgroup.subtree_control":
		have := fields(k.get(rel))
		available := fields(k.get(filepath.Join(dir, "cgroup.controllers")))
		for _, tok := range fields(value) {
			c := tok[1:]
			switch {
			case tok[0] == '+' && !slices.Contains(available, c):
				return fail(syscall.ENOENT)
			case tok[0] == '+' && !slices.Contains(have, c):
				if k.nonRoot(dir) && k.get(filepath.Join(dir, "cgroup.procs")) != "" {
					return fail(syscall.EBUSY)
				}
				have = append(have, c)
			case tok[0] == '-':
				have = slices.DeleteFunc(have, func(h string) bool { return h == c })
			}
		}
		value = strings.Join(ordered(have), " ")
		subs, _ := k.SubDirs(k.p(dir))
		for _, s := range subs {
			child := filepath.Join(dir, s)
			if k.isCgroup(k.p(child)) {
				k.put(child, map[string]string{"cgroup.controllers": value})
				k.addFiles(child)
			}
		}
	case "cgroup.procs":
		pid, err := strconv.Atoi(value)
		if err != nil || pid <= 0 {
			return fail(syscall.EINVAL)
		}
		if k.nonRoot(dir) && k.get(filepath.Join(dir, "cgroup.subtree_control")) != "" {
			return fail(syscall.EBUSY)
		}
		if !k.take(pid) {
			return fail(syscall.ESRCH)
		}
		value = k.get(rel) + value + "\n"
	case "cgroup.kill":
		if value != "1" {
			return fail(syscall.EINVAL)
		}
		k.killTree(dir)
		return nil
	}
	return os.WriteFile(name, []byte(value), 0o644)
}

func (k *fakeKernel) nonRoot(dir string) bool {
	_, err := os.Stat(k.p(filepath.Join(dir, "cgroup.type")))
	return err == nil
}

// take removes pid from the cgroup it is in, if any.
func (k *fakeKernel) take(pid int) bool {
	found := false
	filepath.WalkDir(k.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "cgroup.procs" {
			return err
		}
		rel := k.rel(p)
		pids := k.pids(filepath.Dir(rel))
		if i := slices.Index(pids, pid); i >= 0 {
			found = true
			k.put(filepath.Dir(rel), map[string]string{"cgroup.procs": pidList(slices.Delete(pids, i, i+1))})
		}
		return nil
	})
	return found
}

func (k *fakeKernel) pids(rel string) []int {
	var pids []int
	for _, f := range fields(k.get(filepath.Join(rel, "cgroup.procs"))) {
		p, err := strconv.Atoi(f)
		if err != nil {
			k.t.Fatalf("fake kernel: %s/cgroup.procs: %q", rel, f)
		}
		pids = append(pids, p)
	}
	return pids
}

func (k *fakeKernel) killTree(rel string) {
	filepath.WalkDir(k.p(rel), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "cgroup.procs" {
			return err
		}
		var left []int
		for _, pid := range k.pids(filepath.Dir(k.rel(p))) {
			if slices.Contains(k.stuck, pid) {
				left = append(left, pid)
			} else {
				k.killed = append(k.killed, pid)
			}
		}
		k.put(filepath.Dir(k.rel(p)), map[string]string{"cgroup.procs": pidList(left)})
		return nil
	})
}

// kill is the manager's SIGKILL: the process leaves its cgroup.
func (k *fakeKernel) kill(pid int) error {
	if slices.Contains(k.stuck, pid) {
		return nil
	}
	if !k.take(pid) {
		return syscall.ESRCH
	}
	k.killed = append(k.killed, pid)
	return nil
}

// manager is a manager over k, as process 4242, with the given live pids.
func (k *fakeKernel) manager(alive ...int) *manager {
	return &manager{fs: k, owner: 4242, alive: func(pid int) bool { return slices.Contains(alive, pid) },
		kill: k.kill, timeout: 50e6}
}

// writesSince are the writes recorded after the first n.
func (k *fakeKernel) writesSince(n int) []string { return slices.Clone(k.writes[n:]) }
