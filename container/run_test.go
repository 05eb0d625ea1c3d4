package container

import (
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestCloneFlags(t *testing.T) {
	ns := func(types ...specs.LinuxNamespaceType) *specs.Spec {
		s := &specs.Spec{Linux: &specs.Linux{}}
		for _, t := range types {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t})
		}
		return s
	}
	common := []specs.LinuxNamespaceType{specs.PIDNamespace, specs.MountNamespace, specs.UTSNamespace,
		specs.IPCNamespace, specs.CgroupNamespace}
	const commonFlags = unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWCGROUP
	tests := []struct {
		name   string
		spec   *specs.Spec
		want   uintptr
		userNS bool
	}{
		{"none", ns(), 0, false},
		{"rootless run", ns(append(common, specs.NetworkNamespace, specs.UserNamespace)...),
			commonFlags | unix.CLONE_NEWNET | unix.CLONE_NEWUSER, true},
		{"network host", ns(append(common, specs.UserNamespace)...), commonFlags | unix.CLONE_NEWUSER, true},
		{"real root", ns(append(common, specs.NetworkNamespace)...), commonFlags | unix.CLONE_NEWNET, false},
		{"user only", ns(specs.UserNamespace), unix.CLONE_NEWUSER, true},
		{"unknown type", ns("time"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cloneFlags(tt.spec); got != tt.want {
				t.Errorf("cloneFlags = %#x, want %#x", got, tt.want)
			}
			if got := hasUserNS(tt.spec); got != tt.userNS {
				t.Errorf("hasUserNS = %v, want %v", got, tt.userNS)
			}
		})
	}
}

// A wait status holds an exit code N as N<<8 and a fatal signal S as S
// (with 0x80 when it dumped core).
func TestStatusCode(t *testing.T) {
	tests := []struct {
		name string
		ws   syscall.WaitStatus
		want int
	}{
		{"exit 0", 0, 0},
		{"exit 1", 1 << 8, 1},
		{"exit 127", 127 << 8, 127},
		{"exit 255", 255 << 8, 255},
		{"SIGKILL", syscall.WaitStatus(syscall.SIGKILL), 137},
		{"SIGTERM", syscall.WaitStatus(syscall.SIGTERM), 143},
		{"SIGINT", syscall.WaitStatus(syscall.SIGINT), 130},
		{"SIGSEGV with a core", syscall.WaitStatus(syscall.SIGSEGV) | 0x80, 139},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusCode(tt.ws); got != tt.want {
				t.Errorf("statusCode(%#x) = %d, want %d", uint32(tt.ws), got, tt.want)
			}
		})
	}
}
