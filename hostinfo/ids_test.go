package hostinfo

import (
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func capXattr(magic, permitted uint32) []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], magic)
	binary.LittleEndian.PutUint32(b[4:], permitted)
	return b
}

func TestClassifyHelper(t *testing.T) {
	const p = "/usr/bin/newuidmap"
	tests := []struct {
		name   string
		mode   fs.FileMode
		owner  uint32
		caps   []byte
		wantOK bool
		value  string
		fix    string
	}{
		{"setuid root", 0o755 | fs.ModeSetuid, 0, nil, true, p + " (setuid root)", ""},
		{"file capabilities (Fedora)", 0o755, 0, capXattr(0x02000001, 1<<capSetUID), true, p + " (file capabilities)", ""},
		{"capability not effective", 0o755, 0, capXattr(0x02000000, 1<<capSetUID), false, p + " (neither setuid nor file capabilities)", "sudo chmod u+s " + p},
		{"wrong capability", 0o755, 0, capXattr(0x02000001, 1<<capSetGID), false, p + " (neither setuid nor file capabilities)", "sudo chmod u+s " + p},
		{"plain file", 0o755, 0, nil, false, p + " (neither setuid nor file capabilities)", "sudo chmod u+s " + p},
		{"setuid but user-owned", 0o755 | fs.ModeSetuid, 1000, nil, false, p + " (setuid, but owned by uid 1000)",
			"sudo chown root " + p + " && sudo chmod u+s " + p},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := classifyHelper("newuidmap", p, tt.mode, tt.owner, tt.caps, capSetUID)
			if c.OK != tt.wantOK || c.Value != tt.value || c.Fix != tt.fix {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestHasFileCap(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		bit  uint
		want bool
	}{
		{"empty", nil, capSetUID, false},
		{"short", []byte{1, 0, 0, 2}, capSetUID, false},
		{"v2 setuid=ep", capXattr(0x02000001, 1<<capSetUID), capSetUID, true},
		{"v3 setgid=ep", append(capXattr(0x03000001, 1<<capSetGID), 0, 0, 0, 0), capSetGID, true},
		{"v2 setgid asked setuid", capXattr(0x02000001, 1<<capSetGID), capSetUID, false},
		{"bit out of range", capXattr(0x02000001, 0xffffffff), 40, false},
	}
	for _, tt := range tests {
		if got := hasFileCap(tt.b, tt.bit); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHelperCheckFiles(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "newuidmap")
	if err := os.WriteFile(plain, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	debian := osRelease{id: "debian"}
	if c := helperCheck("newuidmap", "", capSetUID, debian); c.OK || c.Fix != "sudo apt-get install uidmap" {
		t.Errorf("missing: %+v", c)
	}
	if c := helperCheck("newuidmap", filepath.Join(dir, "gone"), capSetUID, debian); c.OK || c.Fix != "sudo apt-get install uidmap" {
		t.Errorf("dangling path: %+v", c)
	}
	if c := helperCheck("newuidmap", plain, capSetUID, debian); c.OK || c.Fix != "sudo chmod u+s "+plain {
		t.Errorf("plain file: %+v", c)
	}
}

func TestInstallUIDMap(t *testing.T) {
	tests := []struct {
		osr  osRelease
		want string
	}{
		{osRelease{id: "ubuntu", idLike: "debian"}, "sudo apt-get install uidmap"},
		{osRelease{id: "rocky", idLike: "rhel centos fedora"}, "sudo dnf install shadow-utils"},
		{osRelease{id: "opensuse-tumbleweed", idLike: "opensuse suse"}, "sudo zypper install shadow"},
		{osRelease{id: "alpine"}, "sudo apk add shadow-uidmap"},
		{osRelease{id: "arch"}, "sudo pacman -S shadow"},
		{osRelease{}, "install your distribution's uidmap (shadow) package"},
	}
	for _, tt := range tests {
		if got := installUIDMap(tt.osr); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.osr, got, tt.want)
		}
	}
}

func TestSubIDChecks(t *testing.T) {
	etc := t.TempDir()
	write(t, filepath.Join(etc, "subuid"), "alice:100000:65536\nbad line\ncarol:300000:65536\n")
	write(t, filepath.Join(etc, "subgid"), "alice:100000:65536\n")
	tests := []struct {
		name       string
		uids, gids []string
		uidFix     string
		gidFix     string
	}{
		{"both present", []string{"100000-165535"}, []string{"100000-165535", "300000-300009"}, "", ""},
		{"uids missing", nil, []string{"100000-165535"}, "sudo usermod --add-subuids 365536-431071 dave", ""},
		{"gids missing", []string{"100000-165535"}, nil, "", "sudo usermod --add-subgids 365536-431071 dave"},
		{"both missing", nil, nil, "sudo usermod --add-subuids 365536-431071 --add-subgids 365536-431071 dave",
			"added by the usermod command for subordinate uids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := subIDChecks(Env{EtcRoot: etc, User: "dave", UID: 1000, SubUIDs: tt.uids, SubGIDs: tt.gids})
			if c[0].Fix != tt.uidFix || c[1].Fix != tt.gidFix || c[0].OK != (tt.uidFix == "") || c[1].OK != (tt.gidFix == "") {
				t.Errorf("got %+v", c)
			}
		})
	}
	if c := subIDChecks(Env{EtcRoot: etc, UID: 0}); !c[0].OK || !c[1].OK {
		t.Errorf("root needs no subordinate ids, got %+v", c)
	}
	if c := subIDChecks(Env{EtcRoot: etc, SubGIDs: []string{"a", "b"}, SubUIDs: []string{"c"}}); c[1].Value != "a, b" {
		t.Errorf("value = %q", c[1].Value)
	}
	if got := freeSubIDStart(t.TempDir()); got != 100000 {
		t.Errorf("no files: start %d", got)
	}
}
