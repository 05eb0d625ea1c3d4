package layer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnpackRefusesHostileLayers checks every refusal's message and that
// nothing beside the layer directory changed, whatever came first.
func TestUnpackRefusesHostileLayers(t *testing.T) {
	const prefix = `layer sha256:ab12: `
	tests := []struct {
		name    string
		entries []entry
		want    string
		unsafe  bool // the error matches ErrUnsafe
	}{
		{
			name:    "dot-dot",
			entries: []entry{fileE("../outside/x", "pwned", 0o644)},
			want:    `entry "../outside/x": path leaves the layer`, unsafe: true,
		},
		{
			name:    "dot-dot twice",
			entries: []entry{fileE("../../escape", "pwned", 0o644)},
			want:    `entry "../../escape": path leaves the layer`, unsafe: true,
		},
		{
			name:    "dot-dot after a directory",
			entries: []entry{dirE("a/", 0o755), fileE("a/../../outside/f", "pwned", 0o644)},
			want:    `entry "a/../../outside/f": path leaves the layer`, unsafe: true,
		},
		{
			name:    "directory dot-dot",
			entries: []entry{dirE("../outside/newdir/", 0o755)},
			want:    `entry "../outside/newdir/": path leaves the layer`, unsafe: true,
		},
		{
			name:    "absolute path",
			entries: []entry{fileE("/nook-layer-test-abs", "pwned", 0o644)},
			want:    `entry "/nook-layer-test-abs": path is absolute`, unsafe: true,
		},
		{
			name:    "symlink to / then a file below it",
			entries: []entry{symE("link", "/"), fileE("link/nook-layer-test-file", "pwned", 0o644)},
			want:    `entry "link/nook-layer-test-file": parent is a symlink`, unsafe: true,
		},
		{
			name:    "symlink to outside then a file below it",
			entries: []entry{symE("link", "../outside"), fileE("link/x", "pwned", 0o644)},
			want:    `entry "link/x": parent is a symlink`, unsafe: true,
		},
		{
			name:    "symlink to outside then an existing file below it",
			entries: []entry{symE("link", "../outside"), fileE("link/f", "pwned", 0o644)},
			want:    `entry "link/f": parent is a symlink`, unsafe: true,
		},
		{
			name:    "symlink to outside then a directory below it",
			entries: []entry{symE("link", "../outside"), dirE("link/sub/", 0o777)},
			want:    `entry "link/sub/": parent is a symlink`, unsafe: true,
		},
		{
			name:    "symlink to outside deeper in the path",
			entries: []entry{dirE("a/", 0o755), symE("a/b", "../../outside"), fileE("a/b/c/d", "pwned", 0o644)},
			want:    `entry "a/b/c/d": parent is a symlink`, unsafe: true,
		},
		{
			name:    "symlink inside the layer is refused too",
			entries: []entry{dirE("inside/dir/", 0o755), symE("link", "inside/dir"), fileE("link/file", "x", 0o644)},
			want:    `entry "link/file": parent is a symlink`, unsafe: true,
		},
		{
			name:    "symlink to itself",
			entries: []entry{symE("link", "."), fileE("link/file", "x", 0o644)},
			want:    `entry "link/file": parent is a symlink`, unsafe: true,
		},
		{
			name:    "hard link to /etc/passwd",
			entries: []entry{hardE("passwd", "/etc/passwd")},
			want:    `entry "passwd": link target "/etc/passwd": path is absolute`, unsafe: true,
		},
		{
			name:    "hard link to outside",
			entries: []entry{hardE("f", "../outside/f")},
			want:    `entry "f": link target "../outside/f": path leaves the layer`, unsafe: true,
		},
		{
			name:    "hard link through a symlink",
			entries: []entry{symE("link", "../outside"), hardE("f", "link/f")},
			want:    `entry "f": link target "link/f": parent is a symlink`, unsafe: true,
		},
		{
			name:    "hard link through a symlink to /etc",
			entries: []entry{symE("etc", "/etc"), hardE("passwd", "etc/passwd")},
			want:    `entry "passwd": link target "etc/passwd": parent is a symlink`, unsafe: true,
		},
		{
			name:    "hard link placed through a symlink",
			entries: []entry{fileE("f", "x", 0o644), symE("link", "../outside"), hardE("link/g", "f")},
			want:    `entry "link/g": parent is a symlink`, unsafe: true,
		},
		{
			name:    "hard link to a missing file",
			entries: []entry{hardE("f", "nothing")},
			want:    `entry "f": link target "nothing" is not an earlier entry of the layer`,
		},
		{
			name:    "hard link to a directory",
			entries: []entry{dirE("d/", 0o755), hardE("f", "d")},
			want:    `entry "f": link target "d" is not a file`,
		},
		{
			name:    "whiteout through a symlink",
			entries: []entry{symE("link", "../outside"), fileE("link/.wh.f", "", 0o644)},
			want:    `entry "link/.wh.f": parent is a symlink`, unsafe: true,
		},
		{
			name:    "opaque marker through a symlink",
			entries: []entry{symE("link", "../outside"), fileE("link/.wh..wh..opq", "", 0o644)},
			want:    `entry "link/.wh..wh..opq": parent is a symlink`, unsafe: true,
		},
		{
			name:    "symlink placed through a symlink",
			entries: []entry{symE("link", "../outside"), symE("link/l2", "/")},
			want:    `entry "link/l2": parent is a symlink`, unsafe: true,
		},
		{
			name:    "a file below a file",
			entries: []entry{fileE("f", "x", 0o644), fileE("f/g", "y", 0o644)},
			want:    `entry "f/g": parent is not a directory`,
		},
		{
			name:    "a file for the root",
			entries: []entry{fileE(".", "x", 0o644)},
			want:    `entry ".": only a directory can stand for the layer's root`,
		},
		{
			name:    "a whiteout of nothing",
			entries: []entry{fileE("a/.wh.", "", 0o644)},
			want:    `entry "a/.wh.": whiteout names no file`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := Unpack(bytes.NewReader(tarball(t, tt.entries...)), f.dir, "sha256:ab12", Options{})
			if err == nil {
				t.Fatalf("Unpack succeeded; want %q", prefix+tt.want)
			}
			if err.Error() != prefix+tt.want {
				t.Errorf("error = %q\n         want %q", err, prefix+tt.want)
			}
			if errors.Is(err, ErrUnsafe) != tt.unsafe {
				t.Errorf("errors.Is(err, ErrUnsafe) = %v, want %v", !tt.unsafe, tt.unsafe)
			}
			f.checkOutside(t)
		})
	}
}

// TestUnpackStopsAtTheFirstError checks that entries after a refused one
// are not unpacked.
func TestUnpackStopsAtTheFirstError(t *testing.T) {
	f := newFixture(t)
	b := tarball(t, fileE("before", "", 0o644), fileE("../x", "", 0o644), fileE("after", "", 0o644))
	if _, err := Unpack(bytes.NewReader(b), f.dir, "l", Options{}); err == nil {
		t.Fatal("Unpack succeeded")
	}
	if _, err := os.Lstat(filepath.Join(f.dir, "after")); err == nil {
		t.Error("the entry after the refused one was unpacked")
	}
}

func TestUnpackBadStreams(t *testing.T) {
	good := tarball(t, dirE("d/", 0o755), fileE("d/f", strings.Repeat("data ", 2000), 0o644), fileE("g", "last", 0o644))
	gz, zs := gzipped(t, good), zstded(t, good)
	// The offset where the last entry's header starts: cutting there leaves
	// a tar that archive/tar alone would call complete.
	boundary := bytes.Index(good, []byte("g\x00\x00\x00"))
	if boundary <= 0 || boundary%blockSize != 0 {
		t.Fatalf("bad boundary %d", boundary)
	}
	tests := []struct {
		name   string
		stream []byte
		want   string
	}{
		{"truncated gzip", gz[:len(gz)/2], `layer sha256:ab12: truncated `},
		{"gzip without its trailer", gz[:len(gz)-4], `layer sha256:ab12: truncated (gzip stream ends early)`},
		{"gzip with a bad checksum", append(append([]byte{}, gz[:len(gz)-8]...), 0, 0, 0, 0, 0, 0, 0, 0), `layer sha256:ab12: corrupt gzip stream: gzip: invalid checksum`},
		{"truncated zstd", zs[:len(zs)/2], `layer sha256:ab12: truncated`},
		{"truncated tar", good[:blockSize+100], `layer sha256:ab12: truncated after entry "d/" (tar stream ends early)`},
		{"truncated tar data", good[:2*blockSize+100], `layer sha256:ab12: truncated in entry "d/f" (tar stream ends early)`},
		{"truncated tar header", good[:blockSize/2], `layer sha256:ab12: truncated (tar stream ends early)`},
		{"tar without its end marker", good[:boundary], `layer sha256:ab12: truncated: the archive has no end marker`},
		{"empty stream", nil, `layer sha256:ab12: truncated: the archive has no end marker`},
		{"garbage", bytes.Repeat([]byte("not a layer "), 100), `layer sha256:ab12: not a tar archive, nor gzip- or zstd-compressed`},
		{"gzip magic then garbage", append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte("x"), 100)...), `layer sha256:ab12: corrupt gzip stream`},
		{"gzipped garbage", gzipped(t, bytes.Repeat([]byte("not a layer "), 100)), `layer sha256:ab12: corrupt tar stream: archive/tar: invalid tar header`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := Unpack(bytes.NewReader(tt.stream), f.dir, "sha256:ab12", Options{})
			t.Log(err)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant prefix %q", err, tt.want)
			}
			if strings.HasPrefix(tt.name, "truncated") || strings.Contains(tt.name, "end marker") || tt.name == "empty stream" {
				if !errors.Is(err, ErrTruncated) {
					t.Errorf("errors.Is(err, ErrTruncated) is false")
				}
			}
			f.checkOutside(t)
		})
	}
	// The complete streams unpack: the cuts above are what failed.
	for name, b := range map[string][]byte{"tar": good, "gzip": gz, "zstd": zs} {
		f := newFixture(t)
		if _, err := Unpack(bytes.NewReader(b), f.dir, "l", Options{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
