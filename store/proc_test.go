package store

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// What the child processes do. Each reads its parameters from the
// environment, waits at a start barrier (a file the parent creates once
// every child is ready) so that they really run at the same time, and
// prints its outcome on stdout.

const (
	envRoot    = "NOOK_STORE_TEST_ROOT"
	envBarrier = "NOOK_STORE_TEST_BARRIER"
	envSize    = "NOOK_STORE_TEST_SIZE"
)

func runHelper(mode string) error {
	s, err := Open(os.Getenv(envRoot))
	if err != nil {
		return err
	}
	defer s.Close()
	n, _ := strconv.Atoi(os.Getenv(envSize))
	b := content("shared blob", n)
	d := FromBytes(b)
	slow := func() io.Reader { return &slowReader{b: b, chunk: 4096, pause: time.Millisecond} }
	switch mode {
	case "ensure-blob":
		barrier()
		fetched, err := s.EnsureBlob(d, int64(n), func() (io.ReadCloser, error) {
			return io.NopCloser(slow()), nil
		})
		if err != nil {
			return err
		}
		fmt.Println(map[bool]string{true: "fetched", false: "present"}[fetched])
	case "write-blob":
		barrier()
		return s.WriteBlob(d, int64(n), slow())
	case "commit-layer":
		dir, err := s.TempDir()
		if err != nil {
			return err
		}
		mine := fmt.Sprintf("by-%d", os.Getpid())
		if err := os.WriteFile(filepath.Join(dir, mine), nil, 0o644); err != nil {
			return err
		}
		barrier()
		if err := s.CommitLayer(raceLayer(), dir); err != nil {
			return err
		}
		fmt.Println(mine)
	case "killed-writer":
		// Writes half the blob, says so, then hangs until killed.
		half := bytes.NewReader(b[:n/2])
		r := io.MultiReader(half, readerFunc(func([]byte) (int, error) {
			fmt.Println("half")
			time.Sleep(time.Hour)
			return 0, io.EOF
		}))
		return s.WriteBlob(d, int64(n), r)
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	return nil
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func barrier() {
	dir := os.Getenv(envBarrier)
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("ready-%d", os.Getpid())), nil, 0o600)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func raceLayer() LayerMeta {
	diff := FromBytes([]byte("race layer"))
	return LayerMeta{DiffID: diff, ChainID: diff, Blob: FromBytes([]byte("race blob")), Size: 0}
}

// runChildren runs n helpers in mode against the store at root, all
// released together, and returns their stdout lines.
func runChildren(t *testing.T, n int, mode, root string, size int) []string {
	t.Helper()
	bar := t.TempDir()
	var outs []*bytes.Buffer
	var waits []func() error
	for range n {
		cmd := helper(t, mode, envRoot+"="+root, envBarrier+"="+bar, envSize+"="+strconv.Itoa(size))
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, &out)
		waits = append(waits, cmd.Wait)
	}
	waitFor(t, "children ready", func() bool { return len(dirNames(t, bar)) == n })
	if err := os.WriteFile(filepath.Join(bar, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, wait := range waits {
		if err := wait(); err != nil {
			t.Errorf("child %d: %v", i, err)
		}
		lines = append(lines, strings.TrimSpace(outs[i].String()))
	}
	return lines
}

func checkBlob(t *testing.T, s *Store, want []byte) {
	t.Helper()
	got, err := os.ReadFile(s.BlobPath(FromBytes(want)))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("blob content: %d bytes (want %d), %v", len(got), len(want), err)
	}
	if names := dirNames(t, s.blobDir()); len(names) != 1 {
		t.Errorf("blobs/: %v, want the one blob", names)
	}
	assertEmpty(t, s.tmpDir())
}

// Eight pulls of the same blob from separate processes: one downloads, the
// others wait on the blob's lock and find it present.
func TestConcurrentPullsDownloadOnce(t *testing.T) {
	s := openStore(t)
	const size = 256 << 10
	lines := runChildren(t, 8, "ensure-blob", s.Root, size)
	counts := map[string]int{}
	for _, l := range lines {
		counts[l]++
	}
	if counts["fetched"] != 1 || counts["present"] != 7 {
		t.Errorf("outcomes %v, want one fetched and seven present", counts)
	}
	checkBlob(t, s, content("shared blob", size))
	assertEmpty(t, s.lockDir())
}

// Eight processes writing the same blob with no lock at all still end with
// one good copy and no temporary files.
func TestConcurrentWriteBlobProcesses(t *testing.T) {
	s := openStore(t)
	const size = 128 << 10
	runChildren(t, 8, "write-blob", s.Root, size)
	checkBlob(t, s, content("shared blob", size))
}

// Two processes commit the same layer: one directory wins, the other is
// removed, neither fails.
func TestCommitLayerRace(t *testing.T) {
	for round := range 5 {
		s := openStore(t)
		lines := runChildren(t, 2, "commit-layer", s.Root, 0)
		meta := raceLayer()
		if !s.HasLayer(meta.ChainID) {
			t.Fatalf("round %d: layer not committed", round)
		}
		names := dirNames(t, s.LayerDir(meta.ChainID))
		if len(names) != 1 || (names[0] != lines[0] && names[0] != lines[1]) {
			t.Fatalf("round %d: layer holds %v, want exactly one of %v", round, names, lines)
		}
		if got, err := s.Layer(meta.ChainID); err != nil || got != meta {
			t.Errorf("round %d: metadata %+v, %v", round, got, err)
		}
		assertEmpty(t, s.tmpDir())
	}
}
