package caps

import (
	"os"
	"strconv"
	"strings"
)

// LastCap returns the highest capability number the running kernel knows,
// from /proc/sys/kernel/cap_last_cap. When that file cannot be read (no /proc
// yet, or an odd value) it returns Last, and Apply copes with a kernel that
// knows fewer.
func LastCap() int {
	return lastCapFrom("/proc/sys/kernel/cap_last_cap")
}

func lastCapFrom(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return Last
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	// 63 is the most two 32-bit capability words can hold.
	if err != nil || n < 0 || n > 63 {
		return Last
	}
	return n
}

// Ambient lists every capability this kernel knows, as
// syscall.SysProcAttr.AmbientCaps wants them: what a process cloned into a
// new user namespace needs to keep across its execve.
func Ambient() []uintptr {
	last := LastCap()
	c := make([]uintptr, 0, last+1)
	for i := 0; i <= last; i++ {
		c = append(c, uintptr(i))
	}
	return c
}
