package listing

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// psJSON is one container in `--format json`: podman's `ps --format json`
// object (a JSON array of them, where Docker prints one object of strings
// per line; `{{json .}}` gives Docker's). Times are Unix seconds, 0 when
// they have not happened (podman writes year 1's -62135596800). Reason is
// nook's own. Command, Ports, ExposedPorts and Labels are never null, so a jq
// filter needs no guard.
type psJSON struct {
	ID           string              `json:"Id"`
	Names        []string            `json:"Names"`
	Image        string              `json:"Image"`
	Command      []string            `json:"Command"`
	Created      int64               `json:"Created"`
	CreatedAt    string              `json:"CreatedAt"`
	StartedAt    int64               `json:"StartedAt"`
	Exited       bool                `json:"Exited"`
	ExitedAt     int64               `json:"ExitedAt"`
	ExitCode     int                 `json:"ExitCode"`
	State        string              `json:"State"`
	Status       string              `json:"Status"`
	Reason       string              `json:"Reason,omitempty"`
	Ports        []portJSON          `json:"Ports"`
	ExposedPorts map[uint16][]string `json:"ExposedPorts"`
	Labels       map[string]string   `json:"Labels"`
}

// portJSON is podman's published-port record; a range of Range ports
// starts at the two ports given. HostIP "" is every address.
type portJSON struct {
	HostIP        string `json:"host_ip"`
	ContainerPort uint16 `json:"container_port"`
	HostPort      uint16 `json:"host_port"`
	Range         uint16 `json:"range"`
	Protocol      string `json:"protocol"`
}

func writeJSON(cs []Container, now time.Time) ([]byte, error) {
	list := make([]psJSON, 0, len(cs))
	for _, c := range cs {
		list = append(list, toPsJSON(c, now))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ") // podman's indent
	if err := enc.Encode(list); err != nil {
		return nil, fmt.Errorf("encode containers as JSON: %w", err)
	}
	return b.Bytes(), nil
}

func toPsJSON(c Container, now time.Time) psJSON {
	labels := c.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	command := c.Command
	if command == nil {
		command = []string{}
	}
	return psJSON{
		ID: c.ID, Names: []string{c.Name}, Image: c.Image, Command: command,
		Created: c.Created.Unix(), CreatedAt: RunningFor(c, now),
		StartedAt: unixOrZero(c.StartedAt), ExitedAt: unixOrZero(c.FinishedAt),
		Exited: c.State == StateExited, ExitCode: c.ExitCode,
		State: c.State, Status: Status(c, now), Reason: c.Reason,
		Ports: publishedJSON(c.Ports), ExposedPorts: exposedJSON(c.Ports), Labels: labels,
	}
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// publishedJSON merges consecutive mappings into podman's ranges.
func publishedJSON(ports []Port) []portJSON {
	var pub []Port
	for _, p := range ports {
		if p.HostPort != 0 {
			pub = append(pub, p)
		}
	}
	// By address and protocol first, so that a range's ports are adjacent.
	slices.SortFunc(pub, func(a, b Port) int {
		return cmp.Or(strings.Compare(a.HostIP, b.HostIP), strings.Compare(a.Proto, b.Proto),
			cmp.Compare(a.ContainerPort, b.ContainerPort), cmp.Compare(a.HostPort, b.HostPort))
	})
	pub = slices.Compact(pub)
	out := []portJSON{}
	for _, p := range pub {
		if n := len(out); n > 0 && extends(out[n-1], p) {
			out[n-1].Range++
			continue
		}
		out = append(out, portJSON{p.HostIP, p.ContainerPort, p.HostPort, 1, p.Proto})
	}
	return out
}

// extends reports whether p is the next port of range r.
func extends(r portJSON, p Port) bool {
	return r.HostIP == p.HostIP && r.Protocol == p.Proto &&
		uint32(r.ContainerPort)+uint32(r.Range) == uint32(p.ContainerPort) &&
		uint32(r.HostPort)+uint32(r.Range) == uint32(p.HostPort)
}

// exposedJSON are the ports exposed but not published, by port.
func exposedJSON(ports []Port) map[uint16][]string {
	out := map[uint16][]string{}
	for _, p := range ports {
		if p.HostPort == 0 && !slices.Contains(out[p.ContainerPort], p.Proto) {
			out[p.ContainerPort] = append(out[p.ContainerPort], p.Proto)
		}
	}
	return out
}
