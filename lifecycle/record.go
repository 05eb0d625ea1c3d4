package lifecycle

import (
	"encoding/json"
	"time"
)

// States, as Docker's.
const (
	Created  = "created"
	Running  = "running"
	Exited   = "exited"
	Removing = "removing"
)

// Config is what a container is: written once by create, kept until rm.
type Config struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Image   string    `json:"image,omitempty"`   // as the user named it
	ImageID string    `json:"imageId,omitempty"` // the stored image's digest
	Rootfs  string    `json:"rootfs,omitempty"`  // --rootfs DIR instead of an image
	Command []string  `json:"command"`           // the command as run (for ps)
	Created time.Time `json:"created"`
	// Args is the run command line without -d, --name and --rm (flags,
	// image, command): the supervisor starts the container from it again
	// at every start, in Dir with Env, the caller's working directory and
	// environment at create (relative paths, -e NAME).
	Args []string `json:"args"`
	// Run is the run command's flags as the front command parsed them
	// (JSON of cli's runCmd): the supervisor takes them as they are
	// instead of parsing Args again, half its start-up.
	Run        json.RawMessage   `json:"run,omitempty"`
	Dir        string            `json:"dir"`
	Env        []string          `json:"env"`
	AutoRemove bool              `json:"autoRemove,omitempty"`
	Restart    RestartPolicy     `json:"restart"`
	Labels     map[string]string `json:"labels,omitempty"`
	StopSignal string            `json:"stopSignal,omitempty"`
	StopTime   int               `json:"stopTimeout,omitempty"` // seconds; 0 = 10
	LogMaxSize int64             `json:"logMaxSize,omitempty"`
}

// RestartPolicy is --restart: no, on-failure[:N], always.
type RestartPolicy struct {
	Name       string `json:"name"`
	MaxRetries int    `json:"maximumRetryCount,omitempty"`
}

// Status is what a container is doing, as its supervisor last wrote it.
type Status struct {
	State      string    `json:"state"`
	Pid        int       `json:"pid,omitempty"` // PID 1 as the host sees it
	ExitCode   int       `json:"exitCode"`
	OOMKilled  bool      `json:"oomKilled,omitempty"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Restarts   int       `json:"restartCount,omitempty"`
	// Stopped: the user stopped it (stop, kill, rm -f): no restart.
	Stopped    bool        `json:"stopped,omitempty"`
	Ports      []Port      `json:"ports,omitempty"`
	Mounts     []Mount     `json:"mounts,omitempty"`
	IPAddress  string      `json:"ipAddress,omitempty"`
	Gateway    string      `json:"gateway,omitempty"`
	Supervisor *Supervisor `json:"supervisor,omitempty"`
}

// Port is one published port as bound.
type Port struct {
	HostIP        string `json:"hostIp"`
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	Proto         string `json:"proto"`
}

// Mount is a volume or tmpfs of the container, as inspect shows it.
type Mount struct {
	Type        string `json:"type"` // bind or tmpfs
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	RW          bool   `json:"rw"`
}

// Supervisor identifies the process that watches a container: a pid is
// only that process while its start time and the boot match.
type Supervisor struct {
	Pid    int    `json:"pid"`
	Start  uint64 `json:"start"` // /proc/PID/stat field 22
	BootID string `json:"bootId"`
	Socket string `json:"socket"` // its control socket
}

// Container is a container's records together.
type Container struct {
	Config
	Status
	// Dir is lifecycle/ID.
	Dir string `json:"-"`
}
