package lifecycle

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func testStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func create(t *testing.T, s *Store, id, name string) Container {
	t.Helper()
	if err := s.Create(Config{ID: id, Name: name, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNamesAndResolve(t *testing.T) {
	s := testStore(t)
	a := create(t, s, "aa"+strings.Repeat("0", 62), "web")
	create(t, s, "ab"+strings.Repeat("0", 62), "db")
	err := s.Create(Config{ID: "ac" + strings.Repeat("0", 62), Name: "web"})
	if !errors.Is(err, ErrNameInUse) || !strings.Contains(err.Error(), "aa0000000000") {
		t.Errorf("name clash: %v", err)
	}
	for ref, want := range map[string]string{"web": a.ID, a.ID: a.ID, "aa": a.ID, "db": "ab" + strings.Repeat("0", 62)} {
		if c, err := s.Resolve(ref); err != nil || c.ID != want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", ref, c.ID, err, want)
		}
	}
	if _, err := s.Resolve("a"); err == nil || !strings.Contains(err.Error(), "2 container ids") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := s.Resolve("nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
	if err := s.Rename(a.ID, "web", "db"); !errors.Is(err, ErrNameInUse) {
		t.Errorf("rename onto a taken name: %v", err)
	}
	if err := s.Rename(a.ID, "web", "www"); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Resolve("www"); err != nil || c.ID != a.ID {
		t.Errorf("after rename: %s %v", c.ID, err)
	}
	if _, err := s.Resolve("web"); err == nil {
		t.Error("the old name still resolves")
	}
	c, _ := s.Get(a.ID)
	if err := s.Remove(c); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(Config{ID: "ad" + strings.Repeat("0", 62), Name: "www"}); err != nil {
		t.Errorf("the name of a removed container is not free: %v", err)
	}
}

// A running status whose supervisor is gone reads as exited, with why.
func TestDeadSupervisor(t *testing.T) {
	s := testStore(t)
	c := create(t, s, strings.Repeat("e", 64), "x")
	self, err := Self("/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteStatus(c.ID, Status{State: Running, Pid: 42, Supervisor: self}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(c.ID); got.State != Running {
		t.Errorf("with a live supervisor: %s", got.State)
	}
	dead := *self
	dead.Start++ // another process with the same pid
	_ = s.WriteStatus(c.ID, Status{State: Running, Pid: 42, Supervisor: &dead})
	got, _ := s.Get(c.ID)
	if got.State != Exited || got.ExitCode != 137 || !strings.Contains(got.Error, "supervisor") {
		t.Errorf("with a dead supervisor: %+v", got.Status)
	}
}

// Concurrent creates of one name: exactly one wins; of different names:
// all do, and List sees them all.
func TestConcurrentCreate(t *testing.T) {
	s := testStore(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.Create(Config{ID: NewID(), Name: "same"}) == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d creates of one name succeeded", won)
	}
	all, err := s.List()
	if err != nil || len(all) != 1 {
		t.Errorf("List: %d, %v", len(all), err)
	}
	entries, _ := os.ReadDir(s.Root)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"web", "a.b-c_d", "9lives"} {
		if err := ValidName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range []string{"", "-x", "a/b", "a b", strings.Repeat("x", 129)} {
		if ValidName(n) == nil {
			t.Errorf("%q accepted", n)
		}
	}
}

// Known and Fresh build the record Get reads back.
func TestKnownIsWhatGetReads(t *testing.T) {
	s := testStore(t)
	c := Config{ID: NewID(), Name: "handed", Image: "img", Args: []string{"run", "-d", "img"}}
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Container{s.Known(got.Config, got.Status), s.Fresh(c)} {
		if c.Dir != got.Dir || c.ID != got.ID || c.Name != got.Name || !reflect.DeepEqual(c.Status, got.Status) {
			t.Errorf("%+v, Get %+v", c, got)
		}
	}
}
