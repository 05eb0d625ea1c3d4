package state

import (
	"path/filepath"
	"sort"
)

// Published is a running container's published ports: what `nook port`
// shows. It is kept apart from Running, which only containers with a
// cgroup have.
type Published struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Pid   int    `json:"pid"` // the nook process that holds the host sockets
	Ports []Port `json:"ports"`
}

// Port is one published port as bound.
type Port struct {
	ContainerPort uint16 `json:"container_port"`
	Proto         string `json:"proto"`
	HostIP        string `json:"host_ip"`
	HostPort      uint16 `json:"host_port"`
}

func portsDir(root string) string { return filepath.Join(root, "ports") }

// RecordPorts writes p under root (normally Dir()) and returns the function
// that removes the record again, to be called when the container exits.
func RecordPorts(root string, p Published) (func(), error) {
	return record(root, portsDir(root), p.ID, p)
}

// ListPorts returns the published ports of the running containers under
// root, by id. A record whose nook process is gone (SIGKILLed, so its
// sockets are closed too) is dropped and removed.
func ListPorts(root string) ([]Published, error) {
	out, err := listAlive(portsDir(root), func(p Published) int { return p.Pid })
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}
