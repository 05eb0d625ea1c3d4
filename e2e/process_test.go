package e2e

// The process model of `nook run`: PID 1, the host's view of the
// container's processes, isolation between containers, namespaces, id
// mapping, exit statuses, signals, orphans, zombies, descriptors and the
// reach of the nook binary from inside.

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// settle bounds every wait for a state to come about (a process to show
// up, to be reaped, to be gone): long enough never to matter on a loaded
// machine, short enough that a hang fails quickly.
const settle = 5 * time.Second

// waitUntil polls cond until it holds or settle passes, and tells which.
func waitUntil(cond func() bool) bool {
	for deadline := time.Now().Add(settle); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// waitDescendants polls the host's /proc until the descendants of pid
// satisfy ok, and returns them; it fails the test after settle.
func waitDescendants(t *testing.T, pid int, what string, ok func([]proc) bool) []proc {
	t.Helper()
	var procs []proc
	if !waitUntil(func() bool { procs = descendants(t, pid); return ok(procs) }) {
		t.Fatalf("descendants of %d never showed %s within %v: %+v", pid, what, settle, procs)
	}
	return procs
}

func withComm(procs []proc, comm string) []proc {
	var out []proc
	for _, p := range procs {
		if p.Comm == comm {
			out = append(out, p)
		}
	}
	return out
}

func countState(procs []proc, state byte) int {
	n := 0
	for _, p := range procs {
		if p.State == state {
			n++
		}
	}
	return n
}

// startTime is field 22 of /proc/PID/stat: with the pid it names one
// process for good, even if the pid is reused.
// stillRunning lists the processes of started (pid → start time) that
// still run: gone, reused pids and zombies do not count.
func stillRunning(started map[int]string) []string {
	var left []string
	for pid, st := range started {
		p, err := readStat(pid)
		if now, err2 := startTime(pid); err != nil || err2 != nil || now != st || p.State == 'Z' {
			continue
		}
		left = append(left, fmt.Sprintf("%d %s %c", p.Pid, p.Comm, p.State))
	}
	return left
}

func startTime(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	fields := strings.Fields(s[end+1:])
	if end < 0 || len(fields) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	return fields[19], nil // fields[0] is field 3, the state
}

// nsPids is the NSpid line of /proc/PID/status: the process's pid in each
// PID namespace it is in, the host's first.
func nsPids(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("/proc/%d/status has no NSpid line:\n%s", pid, b)
	return nil
}

// psProcs parses the output of `ps -o pid,comm` into pid → command name.
func psProcs(t *testing.T, out string) map[int]string {
	t.Helper()
	m := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "PID" {
			continue
		}
		if len(f) != 2 {
			t.Fatalf("ps: unexpected line %q in:\n%s", line, out)
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatalf("ps: unexpected line %q in:\n%s", line, out)
		}
		m[pid] = f[1]
	}
	return m
}

// wantOnlyShellAndPs checks a `ps -o pid,comm` run by `sh -c` as PID 1:
// it lists PID 1 (sh) and ps itself, nothing else.
func wantOnlyShellAndPs(t *testing.T, out string) {
	t.Helper()
	procs := psProcs(t, out)
	var others []string
	for pid, comm := range procs {
		if !(pid == 1 && comm == "sh") && comm != "ps" {
			others = append(others, fmt.Sprintf("%d %s", pid, comm))
		}
	}
	if procs[1] != "sh" || len(procs) != 2 || len(others) > 0 {
		t.Errorf("want only PID 1 (sh) and ps, got:\n%s", out)
	}
}

// subordinate reads the test user's first range from /etc/subuid or
// /etc/subgid.
func subordinate(t *testing.T, file string) (start, count int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 || (fields[0] != env.user.Username && fields[0] != env.user.Uid) {
			continue
		}
		start, err1 := strconv.Atoi(fields[1])
		count, err2 := strconv.Atoi(fields[2])
		if err1 == nil && err2 == nil && count > 0 {
			return start, count
		}
	}
	t.Fatalf("%s has no range for %s", file, env.user.Username)
	return 0, 0
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func hostOwner(t *testing.T, path string) (uid, gid int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

// The command is PID 1 and sees no process but its own.
func TestRunCommandIsPID1(t *testing.T) {
	r := nook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "sh", "-c", "echo $$")
	wantCode(t, r, 0)
	if got := strings.TrimSpace(r.Stdout); got != "1" {
		t.Errorf("the command's pid is %q, want 1", got)
	}
	// "; true" keeps sh from exec'ing ps in its place.
	r = nook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "sh", "-c", "ps -o pid,comm; true")
	wantCode(t, r, 0)
	wantOnlyShellAndPs(t, r.Stdout)
}

// The host sees the container's PID 1 under a pid of its own, a
// descendant of the nook process, and it is the same process.
func TestRunHostSeesContainerProcess(t *testing.T) {
	s := startNook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "sleep", "30")
	procs := waitDescendants(t, s.Pid(), "a sleep", func(ps []proc) bool { return len(withComm(ps, "sleep")) == 1 })
	sleep := withComm(procs, "sleep")[0]
	if sleep.Pid == 1 || sleep.Pid == s.Pid() {
		t.Errorf("host pid of the container's sleep is %d", sleep.Pid)
	}
	// Its parent chain on the host leads to nook.
	chain := []int{sleep.Pid}
	for p := sleep; p.PPid != s.Pid(); {
		next, err := readStat(p.PPid)
		if err != nil || p.PPid <= 1 {
			t.Fatalf("parent chain %v of the container's sleep does not reach nook (%d): %v", chain, s.Pid(), err)
		}
		p = next
		chain = append(chain, p.Pid)
	}
	// The same process is PID 1 in the container's namespace.
	if got := nsPids(t, sleep.Pid); len(got) != 2 || got[0] != strconv.Itoa(sleep.Pid) || got[1] != "1" {
		t.Errorf("NSpid of host pid %d is %v, want [%d 1]", sleep.Pid, got, sleep.Pid)
	}
	s.Signal(syscall.SIGKILL)
	s.Wait()
}

// Two containers running at once on the same rootfs, each with its own
// /scratch tmpfs or its own volume at /data, see neither the other's files
// nor its processes.
func TestRunContainersIsolated(t *testing.T) {
	// Each lists its /data, then its processes.
	const look = "ls -A /data; echo --; ps -o pid,comm; true"
	check := func(t *testing.T, who, out, file string) {
		t.Helper()
		files, ps, ok := strings.Cut(out, "--\n")
		if !ok {
			t.Fatalf("%s: unexpected output:\n%s", who, out)
		}
		if got := strings.Fields(files); !slices.Equal(got, []string{file}) {
			t.Errorf("%s sees %q in /data, want only its own %q", who, got, file)
		}
		wantOnlyShellAndPs(t, ps)
	}
	for _, tc := range []struct {
		name string
		// mount gives the flags for the container's /data.
		mount func(t *testing.T) []string
	}{
		{"tmpfs", func(*testing.T) []string { return []string{"--tmpfs", "/data"} }},
		{"volumes", func(t *testing.T) []string { return []string{"-v", userTempDir(t) + ":/data"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRootfs(t) // nook creates /data in it
			// The first writes its file and stays running until told to look.
			argsA := append([]string{"run", "--rm", "-i", "--rootfs", root}, tc.mount(t)...)
			argsA = append(argsA, "--", "sh", "-c", "echo a > /data/a && echo ready && read x && "+look)
			a := startNook(t, argsA...)
			a.Expect("ready\n", 10*time.Second)
			// The second runs meanwhile, on the same rootfs.
			argsB := append([]string{"run", "--rm", "--rootfs", root}, tc.mount(t)...)
			argsB = append(argsB, "--", "sh", "-c", "echo b > /data/b && "+look)
			b := nook(t, argsB...)
			wantCode(t, b, 0)
			check(t, "the second container", b.Stdout, "b")
			a.Write("\n")
			ra := a.Wait()
			wantCode(t, ra, 0)
			check(t, "the first container", strings.TrimPrefix(ra.Stdout, "ready\n"), "a")
			if _, err := os.Stat(filepath.Join(root, "data", "a")); err == nil {
				t.Errorf("the container's /data/a landed in the rootfs")
			}
		})
	}
}

// --hostname sets the container's host name; without it, each container
// gets a random one of its own, not the host's.
func TestRunHostname(t *testing.T) {
	const show = "hostname; uname -n; cat /proc/sys/kernel/hostname"
	r := nook(t, "run", "--rm", "--hostname", "foo", "--rootfs", rootfs(t), "--", "sh", "-c", show)
	wantCode(t, r, 0)
	if got := strings.Fields(r.Stdout); !slices.Equal(got, []string{"foo", "foo", "foo"}) {
		t.Errorf("with --hostname foo: hostname, uname -n, kernel.hostname = %q", got)
	}

	host := asUser(t, "uname", "-n")
	wantCode(t, host, 0)
	hostName := strings.TrimSpace(host.Stdout)
	var names []string
	for range 2 {
		r := nook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "sh", "-c", show)
		wantCode(t, r, 0)
		got := strings.Fields(r.Stdout)
		if len(got) != 3 || got[0] != got[1] || got[1] != got[2] {
			t.Fatalf("default hostname, uname -n, kernel.hostname = %q: want one name", got)
		}
		if got[0] == hostName {
			t.Errorf("default hostname is the host's %q", hostName)
		}
		names = append(names, got[0])
	}
	if names[0] == names[1] {
		t.Errorf("two containers both got the default hostname %q: want a random one each", names[0])
	}
}

// The container has a namespace of each kind of its own.
func TestRunOwnNamespaces(t *testing.T) {
	host := nsInodes(t, asUser(t, env.probe, "ns"))
	ctr := nsInodes(t, nook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "probe", "ns"))
	for _, ns := range []string{"pid", "mnt", "uts", "ipc", "net", "user", "cgroup"} {
		if host[ns] == "" || ctr[ns] == "" || ctr[ns] == host[ns] {
			t.Errorf("%s namespace %q in the container, %q on the host: want a new one", ns, ctr[ns], host[ns])
		}
	}
}

// Container root is the caller, uids and gids 1.. are the subordinate range.
func TestRunIDMaps(t *testing.T) {
	r := nook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "sh", "-c",
		"cat /proc/self/uid_map; echo --; cat /proc/self/gid_map")
	wantCode(t, r, 0)
	uidMap, gidMap, ok := strings.Cut(r.Stdout, "--\n")
	if !ok {
		t.Fatalf("unexpected output:\n%s", r.Stdout)
	}
	for _, m := range []struct {
		name, got, file string
		id              int
	}{
		{"uid_map", uidMap, "/etc/subuid", env.uid},
		{"gid_map", gidMap, "/etc/subgid", env.gid},
	} {
		start, count := subordinate(t, m.file)
		var got [][]string
		for _, line := range strings.Split(strings.TrimSpace(m.got), "\n") {
			got = append(got, strings.Fields(line))
		}
		want := [][]string{
			{"0", strconv.Itoa(m.id), "1"},
			{"1", strconv.Itoa(start), strconv.Itoa(count)},
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s:\n%s\nwant %v (%s)", m.name, m.got, want, m.file)
		}
	}
}

// Files on a volume: what the container creates belongs on the host to the
// mapped id, and what the caller owns is root's inside.
func TestRunVolumeOwnership(t *testing.T) {
	subUID, _ := subordinate(t, "/etc/subuid")
	subGID, _ := subordinate(t, "/etc/subgid")
	dir := userTempDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "mine")
	if err := os.WriteFile(mine, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(mine, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}

	t.Run("uid 1000", func(t *testing.T) {
		r := nook(t, "run", "--rm", "-u", "1000:1000", "-v", dir+":/vol", "--rootfs", rootfs(t), "--",
			"sh", "-c", "id -u; echo x > /vol/by1000")
		wantCode(t, r, 0)
		if got := strings.TrimSpace(r.Stdout); got != "1000" {
			t.Fatalf("id -u = %q, want 1000", got)
		}
		uid, gid := hostOwner(t, filepath.Join(dir, "by1000"))
		if uid != subUID+999 || gid != subGID+999 {
			t.Errorf("a file of container uid:gid 1000:1000 is %d:%d on the host, want %d:%d",
				uid, gid, subUID+999, subGID+999)
		}
	})
	t.Run("root", func(t *testing.T) {
		r := nook(t, "run", "--rm", "-v", dir+":/vol", "--rootfs", rootfs(t), "--",
			"sh", "-c", "echo x > /vol/byroot")
		wantCode(t, r, 0)
		if uid, gid := hostOwner(t, filepath.Join(dir, "byroot")); uid != env.uid || gid != env.gid {
			t.Errorf("a file of container root is %d:%d on the host, want the caller's %d:%d", uid, gid, env.uid, env.gid)
		}
	})
	t.Run("caller's file", func(t *testing.T) {
		r := nook(t, "run", "--rm", "-v", dir+":/vol", "--rootfs", rootfs(t), "--",
			"stat", "-c", "%u:%g", "/vol/mine")
		wantCode(t, r, 0)
		if got := strings.TrimSpace(r.Stdout); got != "0:0" {
			t.Errorf("the caller's file is %s inside, want 0:0", got)
		}
	})
}

// The exit status is the command's; a command killed by signal N gives
// 128+N; 126 and 127 when it cannot be run; with --init as without.
func TestRunExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"true", []string{"true"}, 0},
		{"false", []string{"false"}, 1},
		{"exit 42", []string{"sh", "-c", "exit 42"}, 42},
		{"not executable", []string{"/etc/passwd"}, 126},
		{"not found", []string{"/no/such/command"}, 127},
		{"not on PATH", []string{"no-such-command"}, 127},
	} {
		for _, init := range []bool{false, true} {
			name := tc.name
			args := []string{"run", "--rm", "--rootfs", rootfs(t)}
			if init {
				name += " with --init"
				args = append(args, "--init")
			}
			t.Run(name, func(t *testing.T) {
				r := nook(t, append(append(args, "--"), tc.args...)...)
				wantCode(t, r, tc.code)
				if tc.code >= 126 {
					msg := strings.TrimRight(r.Stderr, "\n")
					if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.args[0]) {
						t.Errorf("want a one-line error naming %s, got %q", tc.args[0], r.Stderr)
					}
				}
			})
		}
	}
	// A PID 1 ignores signals it has no handler for, even from itself:
	// under --init the shell is not PID 1.
	for _, tc := range []struct {
		sig  string
		code int
	}{{"KILL", 128 + 9}, {"TERM", 128 + 15}} {
		t.Run("kill -"+tc.sig+" with --init", func(t *testing.T) {
			r := nook(t, "run", "--rm", "--init", "--rootfs", rootfs(t), "--", "sh", "-c", "kill -"+tc.sig+" $$; sleep 10")
			wantCode(t, r, tc.code)
		})
	}
}

// SIGKILL sent from the host to the container's command gives 137.
func TestRunExitCodeKilledFromHost(t *testing.T) {
	for _, init := range []bool{false, true} {
		name, args := "pid 1", []string{"run", "--rm", "--rootfs", rootfs(t)}
		if init {
			name, args = "under --init", append(args, "--init")
		}
		t.Run(name, func(t *testing.T) {
			s := startNook(t, append(args, "--", "sleep", "30")...)
			procs := waitDescendants(t, s.Pid(), "a sleep", func(ps []proc) bool { return len(withComm(ps, "sleep")) == 1 })
			sleep := withComm(procs, "sleep")[0]
			// The user kills their own container's process.
			wantCode(t, asUser(t, "kill", "-KILL", strconv.Itoa(sleep.Pid)), 0)
			wantCode(t, s.Wait(), 137)
		})
	}
}

// Signals sent to nook reach the command, with or without --init.
func TestRunSignalForwarding(t *testing.T) {
	for _, init := range []bool{false, true} {
		name, args := "pid 1", []string{"run", "--rm", "--rootfs", rootfs(t)}
		if init {
			name, args = "under --init", append(args, "--init")
		}
		t.Run(name, func(t *testing.T) {
			s := startNook(t, append(args, "--", "probe", "signals")...)
			s.Expect("ready\n", 10*time.Second)
			for _, sig := range []syscall.Signal{
				syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT,
				syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGTERM,
			} {
				s.Signal(sig)
				s.Expect(signalName(sig)+"\n", 10*time.Second)
			}
			wantCode(t, s.Wait(), 0)
		})
	}
}

// A shell's trap under --init runs on the SIGTERM sent to nook, and its
// exit status is nook's.
func TestRunSignalTrapUnderInit(t *testing.T) {
	s := startNook(t, "run", "--rm", "--init", "--rootfs", rootfs(t), "--", "sh", "-c",
		`trap "echo got TERM; exit 3" TERM; echo ready; sleep 30 & wait`)
	s.Expect("ready\n", 10*time.Second)
	s.Signal(syscall.SIGTERM)
	s.Expect("got TERM\n", 10*time.Second)
	wantCode(t, s.Wait(), 3)
}

func signalName(s syscall.Signal) string {
	return map[syscall.Signal]string{
		syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2", syscall.SIGHUP: "SIGHUP",
		syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT", syscall.SIGWINCH: "SIGWINCH",
		syscall.SIGTERM: "SIGTERM",
	}[s]
}

// When nook is killed outright, nothing of its container keeps running.
func TestRunNoOrphansWhenNookKilled(t *testing.T) {
	for _, init := range []bool{false, true} {
		name, args := "pid 1", []string{"run", "--rm", "--rootfs", rootfs(t)}
		if init {
			name, args = "under --init", append(args, "--init")
		}
		t.Run(name, func(t *testing.T) {
			s := startNook(t, append(args, "--", "sh", "-c", "sleep 1000 & sleep 1000")...)
			procs := waitDescendants(t, s.Pid(), "two sleeps", func(ps []proc) bool { return len(withComm(ps, "sleep")) == 2 })
			started := map[int]string{}
			for _, p := range procs {
				st, err := startTime(p.Pid)
				if err != nil {
					t.Fatal(err)
				}
				started[p.Pid] = st
			}
			s.Signal(syscall.SIGKILL)
			if r := s.Wait(); r.Signal != syscall.SIGKILL {
				t.Fatalf("nook was not killed: %v", r)
			}
			// Gone, or a zombie left for the host's init to reap: a dead
			// process either way (the same pid with another start time is
			// another process).
			var left []string
			ok := waitUntil(func() bool {
				left = stillRunning(started)
				return len(left) == 0
			})
			if !ok {
				t.Errorf("%v after nook was killed, still running: %v", settle, left)
			}
		})
	}
}

// --init reaps orphans that exit; without it, they stay zombies of the
// command, which is PID 1 and does not wait for them (as with Docker).
func TestRunInitReapsZombies(t *testing.T) {
	t.Run("with --init", func(t *testing.T) {
		s := startNook(t, "run", "--rm", "--init", "--rootfs", rootfs(t), "--", "probe", "zombies", "3")
		s.Expect("spawned\n", 10*time.Second)
		waitDescendants(t, s.Pid(), "no zombie", func(ps []proc) bool {
			return countState(ps, 'Z') == 0 && len(withComm(ps, "probe")) == 1
		})
		s.Signal(syscall.SIGKILL)
		s.Wait()
	})
	// The control: the zombies are there to be seen when nothing reaps them.
	t.Run("without --init", func(t *testing.T) {
		s := startNook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "probe", "zombies", "3")
		s.Expect("spawned\n", 10*time.Second)
		waitDescendants(t, s.Pid(), "three zombies", func(ps []proc) bool { return countState(ps, 'Z') == 3 })
		s.Signal(syscall.SIGKILL)
		s.Wait()
	})
}

// Without --init the command is PID 1; with it, PID 1 is the init and the
// command comes after.
func TestRunInitIsPID1(t *testing.T) {
	// read, not cat: a shell execs its last command in its own place.
	const show = "echo $$; read comm </proc/1/comm; echo $comm"
	r := nook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "sh", "-c", show)
	wantCode(t, r, 0)
	if got := strings.Fields(r.Stdout); !slices.Equal(got, []string{"1", "sh"}) {
		t.Errorf("without --init: $$ and /proc/1/comm = %q, want [1 sh]", got)
	}
	r = nook(t, "run", "--rm", "--init", "--rootfs", rootfs(t), "--", "sh", "-c", show)
	wantCode(t, r, 0)
	got := strings.Fields(r.Stdout)
	if len(got) != 2 {
		t.Fatalf("with --init: unexpected output %q", r.Stdout)
	}
	if pid, err := strconv.Atoi(got[0]); err != nil || pid < 2 {
		t.Errorf("with --init, the command's pid is %q, want 2 or more", got[0])
	}
	if got[1] == "sh" {
		t.Errorf("with --init, PID 1 is the command (sh)")
	}
}

// The command gets descriptors 0, 1 and 2 and nothing else of nook's or of
// nook's caller's, whatever the stdio mode.
func TestRunNoLeakedFds(t *testing.T) {
	// extraFiles gives nook descriptors 3 and 4 from its caller: a
	// descriptor of the nook binary itself and a pipe.
	extraFiles := func(t *testing.T) []*os.File {
		bin, err := os.Open(env.nook)
		if err != nil {
			t.Fatal(err)
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bin.Close(); pr.Close(); pw.Close() })
		return []*os.File{bin, pw}
	}
	for _, init := range []bool{false, true} {
		for _, mode := range []string{"", "-i", "-t", "-it"} {
			for _, extra := range []bool{false, true} {
				args := []string{"run", "--rm", "--rootfs", rootfs(t)}
				name := "plain"
				if mode != "" {
					name = mode
					args = append(args, mode)
				}
				if init {
					name += " --init"
					args = append(args, "--init")
				}
				if extra {
					name += " with fds 3 4"
				}
				args = append(args, "--", "probe", "fds")
				t.Run(name, func(t *testing.T) {
					cmd := nookCmd(t, args...)
					if extra {
						cmd.ExtraFiles = extraFiles(t)
					}
					var out string
					if strings.Contains(mode, "t") {
						// On a terminal: output has \r\n line ends, twice over.
						p := startPty(t, cmd, 24, 80)
						r := p.Wait()
						wantCode(t, r, 0)
						out = strings.ReplaceAll(r.Stdout, "\r", "")
					} else {
						if mode == "-i" {
							cmd.Stdin = strings.NewReader("")
						}
						r := run(t, cmd)
						wantCode(t, r, 0)
						out = r.Stdout
					}
					if got := strings.TrimSpace(out); got != "0 1 2" {
						t.Errorf("the command's descriptors are %q, want \"0 1 2\"", got)
					}
				})
			}
		}
	}
}

// The descriptors given to nook do reach nook (the precondition of the
// test above): they stay open in it while the container runs.
func TestRunExtraFdsReachNook(t *testing.T) {
	cmd := nookCmd(t, "run", "--rm", "--rootfs", rootfs(t), "--", "probe", "signals")
	bin, err := os.Open(env.nook)
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	cmd.ExtraFiles = []*os.File{bin}
	s := startSession(t, cmd)
	s.Expect("ready\n", 10*time.Second)
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/3", s.Pid()))
	if err != nil || link != env.nook {
		t.Errorf("nook's fd 3: %q, %v; want %s", link, err, env.nook)
	}
	s.Signal(syscall.SIGTERM)
	wantCode(t, s.Wait(), 0)
}

// The nook binary is neither reachable nor writable from inside, as with a
// user's own ~/bin/nook, which the container's root owns: no file of the
// container is it, /proc/1/exe is the command's or, under --init, closed
// to the command, and nothing written through /proc reaches it.
func TestRunNookBinaryUnreachable(t *testing.T) {
	// The user's own copy of nook, which the container's root may write
	// wherever it can reach it.
	bin := filepath.Join(userTempDir(t), "nook")
	if err := copyExecutable(env.nook, bin); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(bin, env.uid, env.gid); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	sum := fileSum(t, bin)
	userNook := func(t *testing.T, args ...string) result {
		t.Helper()
		return run(t, asUserCmd(t, bin, args...))
	}

	t.Run("no file of the container", func(t *testing.T) {
		// -xdev keeps to the devices of the root, where the binary could
		// be; a bind mount of it would be on the same device.
		// The search finds the rootfs's busybox by its host inode: it
		// would find the binary.
		bb, err := os.Stat(filepath.Join(rootfs(t), "bin/busybox"))
		if err != nil {
			t.Fatal(err)
		}
		bbIno := bb.Sys().(*syscall.Stat_t).Ino
		r := userNook(t, "run", "--rm", "--init", "--rootfs", rootfs(t), "--", "sh", "-c",
			fmt.Sprintf(`find / -xdev \( -inum %d -o -inum %d \) -exec stat -c "%%d %%i %%n" {} +`, st.Ino, bbIno))
		wantCode(t, r, 0)
		found := false
		for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 {
				t.Fatalf("find: unexpected output:\n%s", r.Stdout)
			}
			if f[1] == strconv.FormatUint(bbIno, 10) && f[2] == "/bin/busybox" {
				found = true
			}
			if f[0] == strconv.FormatUint(st.Dev, 10) && f[1] == strconv.FormatUint(st.Ino, 10) {
				t.Errorf("the nook binary is %s in the container", f[2])
			}
		}
		if !found {
			t.Errorf("find -inum did not find /bin/busybox: the search does not work\n%s", r.Stdout)
		}
	})
	t.Run("pid 1 is the command", func(t *testing.T) {
		r := userNook(t, "run", "--rm", "--rootfs", rootfs(t), "--", "sh", "-c", "readlink /proc/1/exe; readlink /proc/self/exe; true")
		wantCode(t, r, 0)
		if got := strings.Fields(r.Stdout); !slices.Equal(got, []string{"/bin/busybox", "/bin/busybox"}) {
			t.Errorf("/proc/1/exe and /proc/self/exe of sh are %q, want /bin/busybox", got)
		}
	})
	t.Run("the init's exe", func(t *testing.T) {
		r := userNook(t, "run", "--rm", "--init", "--rootfs", rootfs(t), "--", "sh", "-c", `
			if cat /proc/1/exe >/dev/null; then echo READ; fi
			if link=$(readlink /proc/1/exe); then echo "LINK $link"; fi
			for f in /proc/1/fd/* /proc/1/map_files/*; do
				if [ -e "$f" ] && link=$(readlink "$f"); then echo "LINK $link"; fi
			done
			echo done`)
		wantCode(t, r, 0)
		if strings.Contains(r.Stdout, "READ") {
			t.Errorf("the command can read /proc/1/exe, the nook binary")
		}
		if strings.Contains(r.Stdout, bin) {
			t.Errorf("the command can see the path of the nook binary:\n%s", r.Stdout)
		}
		if !strings.HasSuffix(r.Stdout, "done\n") {
			t.Errorf("unexpected output:\n%s", r.Stdout)
		}
	})
	t.Run("writes through /proc", func(t *testing.T) {
		r := userNook(t, "run", "--rm", "--init", "--rootfs", rootfs(t), "--", "sh", "-c", `
			for e in /proc/[0-9]*/exe; do
				if echo x >> "$e"; then echo "WROTE $e"; fi
				if cp /bin/busybox "$e"; then echo "WROTE $e"; fi
			done 2>/dev/null
			echo done`)
		wantCode(t, r, 0)
		if strings.Contains(r.Stdout, "WROTE") || !strings.HasSuffix(r.Stdout, "done\n") {
			t.Errorf("writes through /proc/*/exe:\n%s", r.Stdout)
		}
		if fileSum(t, bin) != sum {
			t.Errorf("the nook binary changed")
		}
	})
}

// Failures of nook itself: a usage error is exit status 2, a failure to
// set up the container 125; either is one line on stderr naming the cause,
// and nothing runs.
func TestRunNookFailures(t *testing.T) {
	dir := userTempDir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		mention string
	}{
		{"rootfs is a file", []string{"--rootfs", file}, 2, file},
		{"rootfs is missing", []string{"--rootfs", missing}, 2, missing},
		{"volume source is missing", []string{"--rootfs", rootfs(t), "-v", missing + ":/vol"}, 125, missing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tc.args...), "--", "sh", "-c", "echo ran")
			r := nook(t, args...)
			wantCode(t, r, tc.code)
			msg := strings.TrimRight(r.Stderr, "\n")
			if msg == "" || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.mention) {
				t.Errorf("want one line on stderr naming %s, got %q", tc.mention, r.Stderr)
			}
			if r.Stdout != "" {
				t.Errorf("stdout %q: the command ran", r.Stdout)
			}
		})
	}
}

// Started with its standard streams closed, nook gives the command
// /dev/null there, never one of its own descriptors (Go's runtime opens
// /dev/null on a missing 0, 1 or 2 before anything else can take it).
func TestRunClosedStdio(t *testing.T) {
	cmd := nookCmd(t, "run", "--rootfs", rootfs(t), "--", "sh", "-c",
		// busybox runs readlink inside the shell with the redirection applied
		// to the shell's own fds: ask from a subshell about PID 1's.
		`l=$(readlink /proc/1/fd/1); echo "$l" >&2; echo via-stderr >&2`)
	cmd.Stdin, cmd.Stdout = nil, nil
	// exec.Cmd gives a nil stream /dev/null; close fd 1 for real instead.
	cmd.Args = append([]string{"/bin/sh", "-c", `exec "$0" "$@" >&-`}, cmd.Args...)
	cmd.Path = "/bin/sh"
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("nook with stdout closed: %v (stderr %q)", err, stderr.String())
	}
	if got := stderr.String(); got != "/dev/null\nvia-stderr\n" {
		t.Errorf("the command's stdout is not /dev/null: stderr %q", got)
	}
}
