package store

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A writer SIGKILLed halfway leaves its partial file in tmp/; it never
// shows as a blob, Open removes it once it is old, and the blob can be
// written again.
func TestKilledWriterRepaired(t *testing.T) {
	s := openStore(t)
	const size = 64 << 10
	b := content("shared blob", size)
	d := FromBytes(b)
	cmd := helper(t, "killed-writer", envRoot+"="+s.Root, envSize+"="+strconv.Itoa(size))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "half\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	cmd.Process.Kill()
	cmd.Wait()

	partial := dirNames(t, s.tmpDir())
	if len(partial) != 1 || !strings.HasPrefix(partial[0], "blob-"+d.Hex()[:12]) {
		t.Fatalf("tmp/ after the kill: %v, want the partial blob", partial)
	}
	if s.HasBlob(d) {
		t.Fatal("the partial blob is visible")
	}
	// Young: a writer might still be about to lock it, so it stays.
	if _, err := Open(s.Root); err != nil {
		t.Fatal(err)
	}
	if len(dirNames(t, s.tmpDir())) != 1 {
		t.Fatal("Open removed a temporary file inside the grace period")
	}
	age(t, filepath.Join(s.tmpDir(), partial[0]))
	s2, err := Open(s.Root)
	if err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, s.tmpDir())
	if err := s2.WriteBlob(d, size, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s2, b)
}

func age(t *testing.T, path string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// Leftovers made by hand, as writers make them: an old partial file, an
// old half-unpacked directory (removed with the Remover); an old file a
// live writer still holds and a young one (kept).
func TestOpenCleansTmp(t *testing.T) {
	s := openStore(t)
	tmp := s.tmpDir()
	partial := filepath.Join(tmp, "blob-0123456789ab-123456")
	if err := os.WriteFile(partial, []byte("half a blob"), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, partial)
	unpack := filepath.Join(tmp, "layer-98765") // its lock file, unheld, and a tree
	if err := os.MkdirAll(filepath.Join(unpack, "root", "usr", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{lockName, "root/usr/bin/sh"} {
		if err := os.WriteFile(filepath.Join(unpack, f), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	age(t, unpack)
	young := filepath.Join(tmp, "blob-young")
	if err := os.WriteFile(young, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	live, err := s.createTemp("blob-live-") // a slow download, still going
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	age(t, live.Name())
	liveDir, err := s.TempDir() // an unpack, still going
	if err != nil {
		t.Fatal(err)
	}
	age(t, filepath.Dir(liveDir))

	var removed []string
	s2, err := OpenWith(s.Root, Options{Remover: func(dir string) error {
		removed = append(removed, dir)
		return os.RemoveAll(dir)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got := strings.Join(dirNames(t, tmp), " ")
	for _, keep := range []string{young, live.Name(), filepath.Dir(liveDir)} {
		if !strings.Contains(got, filepath.Base(keep)) {
			t.Errorf("%s removed; tmp/ holds %s", keep, got)
		}
	}
	for _, gone := range []string{partial, unpack} {
		if strings.Contains(got, filepath.Base(gone)) {
			t.Errorf("%s kept; tmp/ holds %s", gone, got)
		}
	}
	if len(removed) != 1 || removed[0] != unpack {
		t.Errorf("Remover called for %v, want only %s", removed, unpack)
	}

	// Released, the unpack directory is fair game too.
	if err := s.RemoveTemp(liveDir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Dir(liveDir)); !os.IsNotExist(err) {
		t.Errorf("RemoveTemp left %s: %v", filepath.Dir(liveDir), err)
	}
}
