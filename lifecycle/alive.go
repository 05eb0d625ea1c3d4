package lifecycle

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Self identifies the calling process as a supervisor.
func Self(socket string) (*Supervisor, error) {
	start, err := startTime(os.Getpid())
	if err != nil {
		return nil, err
	}
	return &Supervisor{Pid: os.Getpid(), Start: start, BootID: bootID(), Socket: socket}, nil
}

// Alive reports whether the supervisor is still that process.
func (s *Supervisor) Alive() bool {
	if s == nil || s.Pid <= 0 || s.BootID != bootID() {
		return false
	}
	start, err := startTime(s.Pid)
	return err == nil && start == s.Start
}

// actual is st as it really is: a container whose supervisor is gone is
// not running any more, whatever its status last said.
func actual(st Status) Status {
	if st.State != Running || st.Supervisor.Alive() {
		return st
	}
	st.State = Exited
	st.ExitCode = 137
	st.Pid = 0
	if st.FinishedAt.IsZero() {
		st.FinishedAt = time.Now()
	}
	st.Error = "its supervisor is gone (killed, or the host restarted)"
	return st
}

// startTime is field 22 of /proc/PID/stat: when the process started, in
// clock ticks since boot; with the pid it names one process.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}
