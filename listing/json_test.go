package listing_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"nook/listing"
)

// TestJSONShape decodes --format json as a script would and checks the
// keys and types of podman's `ps --format json`.
func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := listing.Write(&b, fixtures(), listing.Options{Now: now, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(b.Bytes(), &list); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, b.String())
	}
	if len(list) != len(fixtures()) {
		t.Fatalf("%d objects, want %d", len(list), len(fixtures()))
	}
	want := []string{"Command", "Created", "CreatedAt", "ExitCode", "Exited", "ExitedAt", "ExposedPorts", "Id",
		"Image", "Labels", "Names", "Ports", "StartedAt", "State", "Status"}
	for _, obj := range list {
		keys := slices.Sorted(maps.Keys(obj))
		if obj["Reason"] != nil {
			keys = slices.DeleteFunc(keys, func(k string) bool { return k == "Reason" })
		}
		if !slices.Equal(keys, want) {
			t.Errorf("%v: keys %q, want %q", obj["Names"], keys, want)
		}
	}
	web := list[2]
	for key, want := range map[string]any{
		"Id": fixtures()[1].ID, "Names": []any{"web"}, "State": "running", "Status": "Up 2 minutes",
		"Created": float64(now.Add(-3 * time.Minute).Unix()), "CreatedAt": "3 minutes ago",
		"Command": []any{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}, "Exited": false, "ExitedAt": float64(0),
		"Labels": map[string]any{"app": "web", "tier": "front"},
		"Ports": []any{
			map[string]any{"host_ip": "", "container_port": float64(80), "host_port": float64(8080), "range": float64(1), "protocol": "tcp"},
			map[string]any{"host_ip": "127.0.0.1", "container_port": float64(443), "host_port": float64(8443), "range": float64(1), "protocol": "tcp"},
		},
	} {
		got, _ := json.Marshal(web[key])
		if w, _ := json.Marshal(want); !bytes.Equal(got, w) {
			t.Errorf("web's %s = %s, want %s", key, got, w)
		}
	}
	if job := list[4]; job["Reason"] != "supervisor killed" || job["ExitCode"] != float64(137) || job["Exited"] != true {
		t.Errorf("job: Reason %v, ExitCode %v, Exited %v", job["Reason"], job["ExitCode"], job["Exited"])
	}
}

func TestJSONPortRanges(t *testing.T) {
	ports := append(rangePorts("", 8000, 8002, "tcp"), rangePorts("", 8000, 8001, "udp")...)
	ports = append(ports, listing.Port{HostIP: "::1", HostPort: 9000, ContainerPort: 80, Proto: "tcp"},
		listing.Port{HostIP: "::1", HostPort: 9001, ContainerPort: 81, Proto: "tcp"},
		listing.Port{HostIP: "::1", HostPort: 9003, ContainerPort: 82, Proto: "tcp"},
		listing.Port{ContainerPort: 53, Proto: "udp"}, listing.Port{ContainerPort: 53, Proto: "tcp"})
	var b bytes.Buffer
	c := listing.Container{ID: "x", Name: "p", State: listing.StateRunning, Ports: ports}
	if err := listing.Write(&b, []listing.Container{c}, listing.Options{Now: now, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Ports []struct {
			HostIP        string `json:"host_ip"`
			ContainerPort uint16 `json:"container_port"`
			HostPort      uint16 `json:"host_port"`
			Range         uint16 `json:"range"`
			Protocol      string `json:"protocol"`
		}
		ExposedPorts map[string][]string
	}
	if err := json.Unmarshal(b.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(list[0])
	want := `{"Ports":[` +
		`{"host_ip":"","container_port":8000,"host_port":8000,"range":3,"protocol":"tcp"},` +
		`{"host_ip":"","container_port":8000,"host_port":8000,"range":2,"protocol":"udp"},` +
		`{"host_ip":"::1","container_port":80,"host_port":9000,"range":2,"protocol":"tcp"},` +
		`{"host_ip":"::1","container_port":82,"host_port":9003,"range":1,"protocol":"tcp"}],` +
		`"ExposedPorts":{"53":["udp","tcp"]}}`
	if string(got) != want {
		t.Errorf("ports\n got %s\nwant %s", got, want)
	}
}
