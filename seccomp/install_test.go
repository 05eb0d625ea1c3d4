//go:build linux && (amd64 || arm64)

package seccomp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"nook/caps"
)

const installChildEnv = "NOOK_SECCOMP_TEST_INSTALL_CHILD"

// TestInstall re-executes the test binary, which installs the default
// filter on one thread and tries what it must refuse. It needs no privilege:
// no_new_privs is what lets an unprivileged thread install a filter.
func TestInstall(t *testing.T) {
	switch os.Getenv(installChildEnv) {
	case "filter":
		installChild(t)
		return
	case "inherited":
		inheritedChild(t)
		return
	}
	out, err := rerun("filter").CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	// Guards against a child that matched no test and exited 0.
	if !strings.Contains(string(out), "install-child-done") || !strings.Contains(string(out), "inherited-child-done") {
		t.Fatalf("child did not run every check:\n%s", out)
	}
}

func rerun(stage string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestInstall$", "-test.v")
	cmd.Env = append(os.Environ(), installChildEnv+"="+stage)
	return cmd
}

func installChild(t *testing.T) {
	// The filtered thread must never run another goroutine: staying locked
	// makes the runtime discard it when this test returns.
	runtime.LockOSThread()

	prog, err := DefaultPolicy(caps.Default).Assemble()
	if err != nil {
		t.Fatal(err)
	}
	// Without CAP_SYS_ADMIN (shed here so the test means the same as root
	// and as nobody), the kernel insists on no_new_privs.
	var none [2]unix.CapUserData
	if err := unix.Capset(&unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}, &none[0]); err != nil {
		t.Fatal(err)
	}
	if err := Install(prog); !errors.Is(err, unix.EACCES) {
		t.Fatalf("Install without no_new_privs: %v, want EACCES", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := Install(prog); err != nil {
		t.Fatal(err)
	}

	if pid := unix.Getpid(); pid != os.Getpid() {
		t.Errorf("getpid = %d, want %d", pid, os.Getpid())
	}
	checks := []struct {
		name string
		call func() error
		want unix.Errno
	}{
		{"keyctl", func() error {
			_, err := unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 0, 0, 0)
			return err
		}, unix.EPERM},
		// The kernel alone would say EINVAL: a multithreaded process
		// cannot unshare its user namespace.
		{"unshare(CLONE_NEWUSER)", func() error { return unix.Unshare(unix.CLONE_NEWUSER) }, unix.EPERM},
		// The kernel alone would say EINVAL (CLONE_NEWUSER|CLONE_FS is
		// invalid), so no child can appear if the filter fails.
		{"clone(CLONE_NEWUSER)", func() error {
			return rawErr(unix.RawSyscall(unix.SYS_CLONE, unix.CLONE_NEWUSER|unix.CLONE_FS, 0, 0))
		}, unix.EPERM},
		// The kernel alone would say EFAULT or EINVAL for a NULL argument.
		{"clone3", func() error { return rawErr(unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)) }, unix.ENOSYS},
		{"mount", func() error { return unix.Mount("none", "/", "tmpfs", 0, "") }, unix.EPERM},
	}
	for _, c := range checks {
		if err := c.call(); !errors.Is(err, c.want) {
			t.Errorf("%s under the filter: %v, want %v", c.name, err, c.want)
		}
	}

	// A Go program starts under the filter (its runtime clones threads),
	// and the filter reaches it: fork happens on this locked thread.
	out, err := rerun("inherited").CombinedOutput()
	if err != nil {
		t.Errorf("Go program under the filter: %v\n%s", err, out)
	}
	os.Stdout.Write(out)
	fmt.Println("install-child-done")
}

func inheritedChild(t *testing.T) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nSeccomp:\t2\n") {
		t.Errorf("process started after Install is not in filter mode:\n%s", status)
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 0, 0, 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("keyctl in a child: %v, want EPERM", err)
	}
	fmt.Println("inherited-child-done")
}

func rawErr(_, _ uintptr, e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}
