package state

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRecordPortsRoundTrip(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nook")
	p := Published{ID: "0123456789ab", Name: "web", Pid: os.Getpid(), Ports: []Port{
		{ContainerPort: 80, Proto: "tcp", HostIP: "0.0.0.0", HostPort: 32768},
		{ContainerPort: 80, Proto: "tcp", HostIP: "::", HostPort: 32768},
		{ContainerPort: 53, Proto: "udp", HostIP: "127.0.0.1", HostPort: 5353},
	}}
	remove, err := RecordPorts(root, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RecordPorts(root, Published{ID: "dead", Pid: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	got, err := ListPorts(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], p) {
		t.Fatalf("ListPorts = %+v, want %+v", got, p)
	}
	if _, err := os.Stat(filepath.Join(root, "ports", "dead.json")); !os.IsNotExist(err) {
		t.Errorf("stale record left behind: %v", err)
	}
	if st, err := os.Stat(filepath.Join(root, "ports")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("ports directory: %v, %v", st, err)
	}
	remove()
	if got, _ := ListPorts(root); len(got) != 0 {
		t.Errorf("after remove: %+v", got)
	}
}

func TestListPortsWithoutDirectory(t *testing.T) {
	got, err := ListPorts(filepath.Join(t.TempDir(), "none"))
	if err != nil || len(got) != 0 {
		t.Errorf("ListPorts of nothing = %v, %v", got, err)
	}
}
