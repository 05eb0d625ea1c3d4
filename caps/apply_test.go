//go:build linux

package caps

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCapData(t *testing.T) {
	tests := []struct {
		name string
		c    Caps
		last int
		want [2]unix.CapUserData
	}{
		{name: "empty", last: 40},
		{
			name: "word boundaries",
			c:    Caps{Effective: 1<<0 | 1<<31, Permitted: 1<<0 | 1<<31 | 1<<32 | 1<<40, Inheritable: 1 << 33},
			last: 40,
			want: [2]unix.CapUserData{
				{Effective: 0x80000001, Permitted: 0x80000001, Inheritable: 0},
				{Effective: 0, Permitted: 0x101, Inheritable: 0x2},
			},
		},
		{
			name: "caps above last are left out",
			c:    Caps{Effective: All, Permitted: All, Inheritable: 1 << 40},
			last: 37,
			want: [2]unix.CapUserData{
				{Effective: 0xffffffff, Permitted: 0xffffffff},
				{Effective: 0x3f, Permitted: 0x3f},
			},
		},
		{
			name: "last of 63 keeps every bit",
			c:    Caps{Permitted: 1<<63 | 1},
			last: 63,
			want: [2]unix.CapUserData{{Permitted: 1}, {Permitted: 1 << 31}},
		},
		{
			name: "bounding and ambient are not capset's business",
			c:    Caps{Bounding: All, Ambient: All},
			last: 40,
		},
	}
	for _, tt := range tests {
		if got := capData(tt.c, tt.last); got != tt.want {
			t.Errorf("%s: capData = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestApplyRejectsImpossibleSets(t *testing.T) {
	chown := set("CHOWN")
	tests := []struct {
		name string
		c    Caps
		want string
	}{
		{"effective beyond permitted", Caps{Effective: chown}, "apply capabilities: effective CAP_CHOWN not in permitted"},
		{"ambient not inheritable", Caps{Permitted: chown, Ambient: chown}, "apply capabilities: ambient CAP_CHOWN not in both permitted and inheritable"},
	}
	for _, tt := range tests {
		// These fail before any syscall, so the test thread is untouched.
		if err := Apply(tt.c, LastCap()); err == nil || err.Error() != tt.want {
			t.Errorf("%s: Apply error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

const applyChildEnv = "NOOK_CAPS_TEST_APPLY_CHILD"

// TestApply re-executes the test binary as root of a new user namespace,
// where it holds every capability without any privilege on the host, and
// applies sets there for real.
func TestApply(t *testing.T) {
	if os.Getenv(applyChildEnv) == "1" {
		applyChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestApply$", "-test.v")
	cmd.Env = append(os.Environ(), applyChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child in a user namespace: %v\n%s", err, out)
	}
	// Guards against a child that matched no test and exited 0.
	if !strings.Contains(string(out), "apply-child-done") {
		t.Fatalf("child did not run the checks:\n%s", out)
	}
}

func applyChild(t *testing.T) {
	// The thread keeps its reduced capabilities; never unlocking makes the
	// runtime discard it when the test goroutine ends.
	runtime.LockOSThread()
	last := LastCap()

	// A kernel knowing fewer capabilities than asked for: pretend the
	// newest one does not exist. Apply must neither fail on it nor drop it
	// from the bounding set.
	if err := Apply(Caps{Bounding: All, Effective: All, Permitted: All}, last-1); err != nil {
		t.Fatalf("Apply with last=%d: %v", last-1, err)
	}
	st := threadCaps(t)
	newest := uint64(1) << last
	if st["CapBnd"]&newest == 0 {
		t.Errorf("CapBnd = %#x: capability %d above last was dropped", st["CapBnd"], last)
	}
	if st["CapPrm"]&newest != 0 {
		t.Errorf("CapPrm = %#x: capability %d above last was set", st["CapPrm"], last)
	}

	chown := set("CHOWN")
	c := Caps{Bounding: chown, Effective: chown, Permitted: chown, Inheritable: chown, Ambient: chown}
	if err := Apply(c, last); err != nil {
		t.Fatalf("Apply(CHOWN only): %v", err)
	}
	st = threadCaps(t)
	for _, field := range []string{"CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"} {
		if st[field] != 1<<unix.CAP_CHOWN {
			t.Errorf("%s = %#x, want %#x (CAP_CHOWN only)", field, st[field], 1<<unix.CAP_CHOWN)
		}
	}

	// Re-applying needs no CAP_SETPCAP: nothing is left to drop.
	if err := Apply(c, last); err != nil {
		t.Errorf("Apply again without CAP_SETPCAP: %v", err)
	}
	// Widening the bounding set is impossible; Apply must say which step
	// failed rather than pretend.
	err := Apply(Caps{Bounding: chown, Permitted: set("CHOWN", "KILL")}, last)
	if err == nil || !strings.HasPrefix(err.Error(), "capset ") {
		t.Errorf("Apply raising KILL after dropping it: error = %v, want a capset error", err)
	}
	fmt.Println("apply-child-done")
}

// threadCaps reads the Cap* lines of /proc/thread-self/status: capabilities
// are per thread, and /proc/self/status describes the main thread, which is
// not the one this test goroutine is locked to.
func threadCaps(t *testing.T) map[string]uint64 {
	t.Helper()
	f, err := os.Open("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(key, "Cap") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(val), 16, 64)
		if err != nil {
			t.Fatalf("parse %s: %v", sc.Text(), err)
		}
		out[key] = n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
