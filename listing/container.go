package listing

import "time"

// The states a container record can be in, as Docker names them. Docker's
// paused, restarting and dead are accepted by Status and the status
// filter too, though nook's lifecycle has no such state.
const (
	StateCreated  = "created"
	StateRunning  = "running"
	StateExited   = "exited"
	StateRemoving = "removing"
)

// Container is one container as ps sees it.
type Container struct {
	ID         string   // 64 hex digits
	Name       string   // without Docker's leading "/"
	Image      string   // the reference as the user gave it, "" for --rootfs
	Command    []string // entrypoint + cmd, as run
	Created    time.Time
	StartedAt  time.Time // zero until the first start
	FinishedAt time.Time // zero until the first exit
	State      string    // one of the State constants
	ExitCode   int
	// Reason says why the container exited when it did not exit by
	// itself, e.g. "supervisor killed" after the supervisor was
	// SIGKILLed or the machine rebooted; "" otherwise.
	Reason string
	Ports  []Port
	Labels map[string]string
}

// Port is one exposed or published port.
type Port struct {
	// HostIP "" with a HostPort means every address of both families:
	// nook binds one dual-stack socket where Docker binds 0.0.0.0 and [::],
	// and shows it as Docker shows those two.
	HostIP        string
	HostPort      uint16 // 0: exposed only, not published
	ContainerPort uint16
	Proto         string // "tcp" or "udp"
}

// running is whether Docker counts c as running: shown by ps without -a.
func (c Container) running() bool {
	switch c.State {
	case StateRunning, "paused", "restarting":
		return true
	}
	return false
}
