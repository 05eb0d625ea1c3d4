package hostinfo

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"nook/cgroups"
)

var sample = Report{
	Kernel: "6.1.0", Distro: "Debian GNU/Linux 12 (bookworm)", User: "alice", UID: 1000,
	StateDir: "/run/user/1000/nook", StoreDir: "/home/alice/.local/share/nook",
	Cgroup: &cgroups.Host{Version: cgroups.V2, Mount: "/sys/fs/cgroup"},
	Checks: []Check{
		{Name: "user namespaces", OK: true, Value: "ok"},
		{Name: "subordinate uids", Value: "none", Fix: "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice"},
		{Name: "newuidmap", Value: "not\nfound", Fix: "sudo apt-get install uidmap && true"},
	},
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := sample.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"user namespaces   ok\n" +
		"subordinate uids  none  → fix: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice\n" +
		"newuidmap         not found  → fix: sudo apt-get install uidmap && true\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sample.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "uidmap && true") {
		t.Errorf("shell syntax escaped: %s", out)
	}
	var got struct {
		Kernel string `json:"kernel"`
		UID    int    `json:"uid"`
		Cgroup struct {
			Version string `json:"version"`
		} `json:"cgroup"`
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Kernel != "6.1.0" || got.UID != 1000 || got.Cgroup.Version != "v2" || len(got.Checks) != 3 {
		t.Errorf("got %+v", got)
	}
	if _, has := got.Checks[0]["fix"]; has {
		t.Errorf("fix present on a passing check: %v", got.Checks[0])
	}
	for _, key := range []string{"name", "ok", "value"} {
		if _, has := got.Checks[0][key]; !has {
			t.Errorf("check lacks %q: %v", key, got.Checks[0])
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrors(t *testing.T) {
	if err := sample.WriteText(failWriter{}); err == nil || !strings.Contains(err.Error(), "write report: broken pipe") {
		t.Errorf("text: %v", err)
	}
	if err := sample.WriteJSON(failWriter{}); err == nil || !strings.Contains(err.Error(), "write report: broken pipe") {
		t.Errorf("json: %v", err)
	}
}
