package layer

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestWriteSparse(t *testing.T) {
	data := func(n int) []byte { return bytes.Repeat([]byte{'d'}, n) }
	zero := func(n int) []byte { return make([]byte, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	const mib = 1 << 20
	tests := []struct {
		name      string
		content   []byte
		maxBlocks int64 // 512-byte units the file may take
	}{
		{"empty", nil, 0},
		{"all zeros", zero(10 * mib), 0},
		{"data then a hole", cat(data(5000), zero(3*mib)), 16},
		{"a hole then data", cat(zero(3*mib), data(10)), 16},
		{"data, hole, data across buffers", cat(data(holeBlock), zero(copyBuffer*3+holeBlock), data(7)), 24},
		{"zeros shorter than a block are written", cat(data(100), zero(holeBlock-1), data(100)), 24},
		{"an unaligned zero run keeps its partial blocks", cat(data(100), zero(3*holeBlock), data(1)), 24},
		{"small data", data(17), 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			fd, err := unix.Open(p, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			u := &unpacker{buf: make([]byte, copyBuffer)}
			err = u.writeSparse(fd, bytes.NewReader(tt.content), int64(len(tt.content)))
			unix.Close(fd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.content) {
				t.Fatalf("content differs: %d bytes, want %d", len(got), len(tt.content))
			}
			var st unix.Stat_t
			if err := unix.Stat(p, &st); err != nil {
				t.Fatal(err)
			}
			if st.Blocks > tt.maxBlocks {
				t.Errorf("%d blocks allocated, want at most %d", st.Blocks, tt.maxBlocks)
			}
		})
	}
	t.Run("a short stream is a read error", func(t *testing.T) {
		fd, err := unix.Open(filepath.Join(t.TempDir(), "f"), unix.O_WRONLY|unix.O_CREAT, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		u := &unpacker{buf: make([]byte, copyBuffer)}
		err = u.writeSparse(fd, bytes.NewReader(data(10)), 20)
		if _, ok := err.(readError); !ok || err.Error() != io.ErrUnexpectedEOF.Error() {
			t.Errorf("err = %#v, want readError(unexpected EOF)", err)
		}
	})
}

// TestUnpackManyFilesAndASparseFile unpacks 5000 small files and a 64 MiB
// file that is nearly all zeros, streamed: the file takes almost no space
// and the unpacker allocates far less than the stream carries.
func TestUnpackManyFilesAndASparseFile(t *testing.T) {
	const (
		files = 5000
		big   = 64 << 20
	)
	head, tail := bytes.Repeat([]byte("H"), holeBlock), []byte("tail")
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := func() error {
			for i := range files {
				if i%100 == 0 {
					if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: fmt.Sprintf("d%02d/", i/100), Mode: 0o755}); err != nil {
						return err
					}
				}
				body := fmt.Sprintf("file %d\n", i)
				h := &tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("d%02d/f%04d", i/100, i), Mode: 0o644, Size: int64(len(body))}
				if err := tw.WriteHeader(h); err != nil {
					return err
				}
				if _, err := io.WriteString(tw, body); err != nil {
					return err
				}
			}
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "sparse", Mode: 0o644, Size: big}); err != nil {
				return err
			}
			if _, err := tw.Write(head); err != nil {
				return err
			}
			zeros := make([]byte, 1<<20)
			for left := big - len(head) - len(tail); left > 0; left -= len(zeros) {
				if _, err := tw.Write(zeros[:min(left, len(zeros))]); err != nil {
					return err
				}
			}
			if _, err := tw.Write(tail); err != nil {
				return err
			}
			return tw.Close()
		}()
		pw.CloseWithError(err)
	}()

	f := newFixture(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := Unpack(pr, f.dir, "big", Options{})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d MiB in %v, %d KiB allocated", res.Files, res.Bytes>>20, elapsed, (after.TotalAlloc-before.TotalAlloc)>>10)
	if res.Files != files+1 || res.Dirs != files/100 {
		t.Errorf("result %+v", res)
	}
	if elapsed > 30*time.Second {
		t.Errorf("took %v", elapsed)
	}
	// The generator's own allocations count too; the stream is 66 MiB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("%d MiB allocated: the unpacker does not stream", alloc>>20)
	}

	p := filepath.Join(f.dir, "sparse")
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != big {
		t.Errorf("size %d, want %d", st.Size, big)
	}
	if st.Blocks*512 > 1<<20 {
		t.Errorf("the sparse file takes %d KiB", st.Blocks/2)
	}
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	got := make([]byte, len(tail))
	if _, err := fh.ReadAt(got, big-int64(len(tail))); err != nil || !bytes.Equal(got, tail) {
		t.Errorf("tail = %q, %v", got, err)
	}
	got = make([]byte, len(head))
	if _, err := fh.ReadAt(got, 0); err != nil || !bytes.Equal(got, head) {
		t.Errorf("head differs: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(f.dir, "d49/f4999")); err != nil || string(b) != "file 4999\n" {
		t.Errorf("d49/f4999 = %q, %v", b, err)
	}
}

// TestUnpackGNUSparse unpacks files GNU tar stores sparse, in both of its
// sparse formats (archives made here with the system's GNU tar, so nothing
// binary lives in the tree): archive/tar fills the holes in, writeSparse
// makes them holes again.
func TestUnpackGNUSparse(t *testing.T) {
	const size = 64<<20 + 4
	for name, format := range map[string][]string{
		"gnu": {"--format=gnu"},
		"pax": {"--format=posix", "--sparse-version=1.0", "--pax-option=delete=atime,delete=ctime"},
	} {
		t.Run(name, func(t *testing.T) {
			layer := gnuSparseTar(t, format)
			f := newFixture(t)
			res, err := Unpack(layer, f.dir, name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			res.DiffID = ""
			if res != (Result{Files: 1, Bytes: size}) {
				t.Errorf("result %+v", res)
			}
			p := filepath.Join(f.dir, "big")
			var st unix.Stat_t
			if err := unix.Stat(p, &st); err != nil {
				t.Fatal(err)
			}
			if st.Size != size || st.Blocks > 16 {
				t.Errorf("size %d, %d blocks; want %d bytes in at most 16 blocks", st.Size, st.Blocks, size)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if want := "head" + string(make([]byte, size-8)) + "tail"; string(b) != want {
				t.Errorf("content differs")
			}
		})
	}
}

// gnuSparseTar is a tar of one 64 MiB + 4 byte file, "head" at offset 0 and
// "tail" at its end, stored sparse by GNU tar in the given format.
func gnuSparseTar(t *testing.T, format []string) io.Reader {
	t.Helper()
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("head"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("tail"), 64<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	args := append([]string{"--sparse"}, format...)
	args = append(args, "--owner=0", "--group=0", "--numeric-owner", "-C", src, "-cf", "-", "big")
	out, err := exec.Command("tar", args...).Output()
	if err != nil {
		t.Fatalf("GNU tar (Debian's tar package) is needed to make sparse archives: %v", err)
	}
	return bytes.NewReader(out)
}
