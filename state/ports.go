package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
	dir := portsDir(root)
	if err := ensure(root); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, p.ID+".json")
	if err := writeAtomic(path, b); err != nil {
		return nil, err
	}
	return func() { _ = os.Remove(path) }, nil
}

// ListPorts returns the published ports of the running containers under
// root, by id. A record whose nook process is gone (SIGKILLed, so its
// sockets are closed too) is dropped and removed.
func ListPorts(root string) ([]Published, error) {
	dir := portsDir(root)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var out []Published
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		p, err := readPorts(path)
		if err != nil || !alive(p.Pid) {
			_ = os.Remove(path)
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func readPorts(path string) (Published, error) {
	var p Published
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(b, &p)
}
