package state

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRegisterListRemove(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nook")
	now := time.Now()
	remove, err := Register(root, Running{ID: "b", Pid: os.Getpid(), Created: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Register(root, Running{ID: "a", Pid: os.Getpid(), Created: now.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	// A record of a process that is gone is dropped and cleaned up.
	if _, err := Register(root, Running{ID: "dead", Pid: 1 << 30, Created: now}); err != nil {
		t.Fatal(err)
	}
	got, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Fatalf("List = %+v, want a then b", got)
	}
	if _, err := os.Stat(filepath.Join(root, "running", "dead.json")); !os.IsNotExist(err) {
		t.Errorf("stale record left behind: %v", err)
	}
	remove()
	if got, _ := List(root); len(got) != 1 || got[0].ID != "a" {
		t.Errorf("after remove: %+v", got)
	}
}

func TestEnsureRefusesOthersDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nook")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := ensure(dir); err == nil {
		t.Error("a group/world-readable state directory was accepted")
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := ensure(link); err == nil {
		t.Error("a symlink was accepted as the state directory")
	}
}

func TestListWithoutDirectory(t *testing.T) {
	got, err := List(filepath.Join(t.TempDir(), "none"))
	if err != nil || len(got) != 0 {
		t.Errorf("List of nothing = %v, %v", got, err)
	}
}
