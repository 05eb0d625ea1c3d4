package container

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestOverlayWorks(t *testing.T) {
	dir := t.TempDir()
	ok, err := OverlayWorks(dir)
	if err != nil || !ok {
		t.Fatalf("OverlayWorks(%s) = %v, %v; want true (this machine runs rootless overlay)", dir, ok, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the probe left %v behind", left)
	}
	if ok, err := OverlayWorks(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("OverlayWorks on a missing directory = %v, nil; want an error (nothing to record)", ok)
	}
}

func TestOverlayBeside(t *testing.T) {
	s := t.TempDir()
	t.Chdir(s)
	o, err := OverlayBeside(s+"/c/1/merged", []string{"layers/top", s + "/layers/bottom"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{s + "/layers/top", s + "/layers/bottom"}; !slices.Equal(o.Lower, want) || o.Upper != s+"/c/1/upper" || o.Work != s+"/c/1/work" {
		t.Errorf("OverlayBeside = %+v", o)
	}
}
