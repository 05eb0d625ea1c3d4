//go:build linux && (amd64 || arm64)

package seccomp

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"nook/caps"
)

var (
	allow   = uint32(unix.SECCOMP_RET_ALLOW)
	kill    = uint32(unix.SECCOMP_RET_KILL_PROCESS)
	eperm   = errno(unix.EPERM)
	enosys  = errno(unix.ENOSYS)
	forkish = uint64(unix.SIGCHLD)
	// What the Go runtime and glibc's pthread_create pass for a thread.
	threadFlags = uint64(unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
		unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS |
		unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID)
)

func call(nr int, args ...uint64) seccompData {
	d := seccompData{nr: int32(nr), arch: auditArch}
	copy(d.args[:], args)
	return d
}

func assemble(t *testing.T, p Policy) []unix.SockFilter {
	t.Helper()
	prog, err := p.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func TestAssembleDefault(t *testing.T) {
	prog := assemble(t, DefaultPolicy(caps.Default))
	tests := []struct {
		name string
		d    seccompData
		want uint32
	}{
		{"read", call(unix.SYS_READ), allow},
		{"getpid", call(unix.SYS_GETPID), allow},
		{"execve", call(unix.SYS_EXECVE), allow},
		{"adjtimex reads the clock", call(unix.SYS_ADJTIMEX), allow},
		{"keyctl", call(unix.SYS_KEYCTL), eperm},
		{"mount", call(unix.SYS_MOUNT), eperm},
		{"unshare", call(unix.SYS_UNSHARE, unix.CLONE_NEWUSER), eperm},
		{"setns", call(unix.SYS_SETNS), eperm},
		{"bpf", call(unix.SYS_BPF), eperm},
		{"init_module", call(unix.SYS_INIT_MODULE), eperm},
		{"reboot", call(unix.SYS_REBOOT), eperm},
		{"clock_settime", call(unix.SYS_CLOCK_SETTIME), eperm},
		{"fork", call(unix.SYS_CLONE, forkish), allow},
		{"thread", call(unix.SYS_CLONE, threadFlags), allow},
		{"vfork", call(unix.SYS_CLONE, unix.CLONE_VM|unix.CLONE_VFORK|forkish), allow},
		{"clone NEWUSER", call(unix.SYS_CLONE, unix.CLONE_NEWUSER|forkish), eperm},
		{"clone NEWNS among thread flags", call(unix.SYS_CLONE, threadFlags|unix.CLONE_NEWNS), eperm},
		// clone(2) drops the high half of its flags (lower_32_bits in
		// kernel/fork.c), so namespace bits up there create nothing.
		{"clone NEWUSER in the high half", call(unix.SYS_CLONE, unix.CLONE_NEWUSER<<32|forkish), allow},
		{"clone3", call(unix.SYS_CLONE3), enosys},
		{"other arch, allowed nr", seccompData{nr: unix.SYS_READ, arch: unix.AUDIT_ARCH_I386}, kill},
		{"other arch, denied nr", seccompData{nr: unix.SYS_KEYCTL, arch: unix.AUDIT_ARCH_ARM}, kill},
	}
	for _, flag := range []uint64{unix.CLONE_NEWUSER, unix.CLONE_NEWNS, unix.CLONE_NEWPID, unix.CLONE_NEWNET,
		unix.CLONE_NEWUTS, unix.CLONE_NEWIPC, unix.CLONE_NEWCGROUP} {
		tests = append(tests, struct {
			name string
			d    seccompData
			want uint32
		}{fmt.Sprintf("clone %#x", flag), call(unix.SYS_CLONE, flag|forkish), eperm})
	}
	if x32Bit != 0 {
		tests = append(tests, struct {
			name string
			d    seccompData
			want uint32
		}{"x32 read", call(x32Bit | unix.SYS_READ), eperm})
	}
	for _, tt := range tests {
		got, err := runBPF(prog, tt.d)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: got %#x, want %#x", tt.name, got, tt.want)
		}
	}
}

func TestEveryDeniedCallIsRefused(t *testing.T) {
	p := DefaultPolicy(caps.Default)
	if len(p.Deny) < 30 {
		t.Fatalf("default policy denies only %d syscalls", len(p.Deny))
	}
	prog := assemble(t, p)
	for _, nr := range p.Deny {
		if got, err := runBPF(prog, call(int(nr))); err != nil || got != eperm {
			t.Errorf("syscall %d: got %#x, %v; want EPERM", nr, got, err)
		}
	}
}

func TestRelaxedPolicies(t *testing.T) {
	tests := []struct {
		cap     int
		allowed []seccompData
	}{
		{unix.CAP_SYS_ADMIN, []seccompData{
			call(unix.SYS_MOUNT), call(unix.SYS_UMOUNT2), call(unix.SYS_UNSHARE), call(unix.SYS_SETNS),
			call(unix.SYS_PIVOT_ROOT), call(unix.SYS_FSOPEN), call(unix.SYS_CLONE3),
			call(unix.SYS_CLONE, unix.CLONE_NEWUSER|unix.CLONE_NEWNS|forkish),
		}},
		{unix.CAP_SYS_MODULE, []seccompData{call(unix.SYS_INIT_MODULE), call(unix.SYS_FINIT_MODULE), call(unix.SYS_DELETE_MODULE)}},
		{unix.CAP_SYS_BOOT, []seccompData{call(unix.SYS_REBOOT)}},
		{unix.CAP_SYS_TIME, []seccompData{call(unix.SYS_SETTIMEOFDAY), call(unix.SYS_CLOCK_SETTIME)}},
		{unix.CAP_SYSLOG, []seccompData{call(unix.SYS_SYSLOG)}},
		{unix.CAP_BPF, []seccompData{call(unix.SYS_BPF)}},
	}
	for _, tt := range tests {
		granted := caps.Default
		granted.Add(tt.cap)
		prog := assemble(t, DefaultPolicy(granted))
		for _, d := range tt.allowed {
			if got, err := runBPF(prog, d); err != nil || got != allow {
				t.Errorf("with %s, syscall %d (args %#x): got %#x, %v; want ALLOW", caps.Name(tt.cap), d.nr, d.args[0], got, err)
			}
		}
		// Granting one capability must not open anything unrelated.
		for _, d := range []seccompData{call(unix.SYS_KEYCTL), call(unix.SYS_KEXEC_LOAD)} {
			if got, _ := runBPF(prog, d); got != eperm {
				t.Errorf("with %s, syscall %d: got %#x, want EPERM", caps.Name(tt.cap), d.nr, got)
			}
		}
	}
}

func TestAssembleLongAndMessyLists(t *testing.T) {
	var p Policy
	for nr := uint32(2000); nr > 0; nr-- {
		p.Deny = append(p.Deny, nr, nr) // duplicates, reversed
	}
	p.NoSys = []uint32{5000}
	p.CloneFlags = unix.CLONE_NEWUSER
	prog := assemble(t, p)
	// Preamble, x32 pair, one pair per distinct number, clone rule, allow.
	want := 4 + 2*2000 + 2 + 4 + 1
	if x32Bit != 0 {
		want += 2
	}
	if len(prog) != want {
		t.Errorf("%d instructions, want %d (duplicates must collapse)", len(prog), want)
	}
	for _, tt := range []struct {
		nr   int
		want uint32
	}{{1, eperm}, {2000, eperm}, {2001, allow}, {5000, enosys}, {0, allow}} {
		if got, err := runBPF(prog, call(tt.nr)); err != nil || got != tt.want {
			t.Errorf("syscall %d: got %#x, %v; want %#x", tt.nr, got, err, tt.want)
		}
	}
	for nr := uint32(0); nr < 3000; nr++ {
		p.Deny = append(p.Deny, nr)
	}
	if _, err := p.Assemble(); err == nil {
		t.Error("a 6000-instruction program assembled; the kernel would refuse it")
	}
}

func TestEmptyPolicyStillChecksArch(t *testing.T) {
	prog := assemble(t, Policy{})
	if got, _ := runBPF(prog, call(unix.SYS_KEYCTL)); got != allow {
		t.Errorf("keyctl under an empty policy: got %#x, want ALLOW", got)
	}
	if got, _ := runBPF(prog, seccompData{nr: unix.SYS_READ, arch: unix.AUDIT_ARCH_I386}); got != kill {
		t.Errorf("foreign arch under an empty policy: got %#x, want KILL_PROCESS", got)
	}
}
