package store

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultRoot(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	if r, err := DefaultRoot(); err != nil || r != "/data/nook" {
		t.Errorf("with XDG_DATA_HOME: %q, %v", r, err)
	}
	t.Setenv("XDG_DATA_HOME", "relative") // ignored, as the spec says
	t.Setenv("HOME", "/home/u")
	if r, err := DefaultRoot(); err != nil || r != "/home/u/.local/share/nook" {
		t.Errorf("without XDG_DATA_HOME: %q, %v", r, err)
	}
}

func TestOpenLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "store")
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, d := range []string{root, s.blobDir(), s.layerDir(), s.imageDir(), s.tmpDir(), s.lockDir()} {
		st, err := os.Stat(d)
		if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, %v; want a 0700 directory", d, st.Mode(), err)
		}
	}
	// Opening again changes nothing.
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
}
