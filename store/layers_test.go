package store

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitLayer(t *testing.T) {
	s := openStore(t)
	var removed []string
	s.Remover = func(dir string) error {
		removed = append(removed, dir)
		return os.RemoveAll(dir)
	}
	diff := FromBytes([]byte("diff"))
	meta := LayerMeta{DiffID: diff, ChainID: diff, Blob: FromBytes([]byte("blob")), Size: 1}
	commit := func(file string) string {
		t.Helper()
		dir, err := s.TempDir()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitLayer(meta, dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	commit("first")
	if !s.HasLayer(diff) || len(removed) != 0 {
		t.Fatalf("after the first commit: HasLayer %v, removed %v", s.HasLayer(diff), removed)
	}
	second := commit("second") // lost the race: removed, no error
	if len(removed) != 1 || removed[0] != second {
		t.Errorf("Remover called for %v, want %s", removed, second)
	}
	if names := dirNames(t, s.LayerDir(diff)); len(names) != 1 || names[0] != "first" {
		t.Errorf("layer holds %v, want the first commit", names)
	}
	if got, err := s.Layer(diff); err != nil || got != meta {
		t.Errorf("Layer = %+v, %v", got, err)
	}
	if all, err := s.Layers(); err != nil || len(all) != 1 || all[0] != meta {
		t.Errorf("Layers = %v, %v", all, err)
	}
	assertEmpty(t, s.tmpDir())

	// Interrupted between the directory and its marker: not a layer yet,
	// and the next commit adopts the complete directory.
	if err := os.Remove(s.layerMetaPath(diff)); err != nil {
		t.Fatal(err)
	}
	if s.HasLayer(diff) {
		t.Fatal("HasLayer without the marker")
	}
	commit("third")
	if !s.HasLayer(diff) {
		t.Fatal("marker not rewritten")
	}
}

func TestCommitLayerChecksMeta(t *testing.T) {
	s := openStore(t)
	base, top := FromBytes([]byte("base")), FromBytes([]byte("top"))
	blob := FromBytes([]byte("blob"))
	for name, m := range map[string]LayerMeta{
		"base chain is not its diff": {DiffID: base, ChainID: top, Blob: blob},
		"chain ignores its parent":   {DiffID: top, ChainID: top, Parent: base, Blob: blob},
		"invalid blob":               {DiffID: base, ChainID: base, Blob: "sha256:x"},
	} {
		dir, err := s.TempDir()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CommitLayer(m, dir); err == nil {
			t.Errorf("%s: CommitLayer succeeded", name)
		}
		s.RemoveTemp(dir)
	}
	good := LayerMeta{DiffID: top, ChainID: ChainIDs([]Digest{base, top})[1], Parent: base, Blob: blob}
	dir, err := s.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CommitLayer(good, dir); err != nil {
		t.Errorf("a layer on a parent: %v", err)
	}
}

// A layer whose directories are read-only, "/" included (Fedora's is
// 0555): committed and pruned as the unprivileged user without any help.
func TestReadOnlyLayer(t *testing.T) {
	s := openStore(t)
	dir, err := s.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	usr := filepath.Join(dir, "usr")
	if err := os.Mkdir(usr, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(usr, "f"), nil, 0o444); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{usr, dir} {
		if err := os.Chmod(d, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	diff := FromBytes([]byte("read-only"))
	meta := LayerMeta{DiffID: diff, ChainID: diff, Blob: FromBytes([]byte("blob"))}
	if err := s.CommitLayer(meta, dir); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(s.LayerDir(diff)); err != nil || st.Mode().Perm() != 0o555 {
		t.Errorf("committed root: %v, %v; want its mode kept, 0555", st.Mode(), err)
	}
	res, err := s.Prune(PruneOptions{})
	if err != nil || len(res.Layers) != 1 {
		t.Fatalf("Prune: %+v, %v", res, err)
	}
	assertEmpty(t, s.layerDir())
	assertEmpty(t, s.tmpDir())
}
