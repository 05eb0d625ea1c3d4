package safecopy

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The tar stream of docker cp CTR:SRC - names entries from SRC's own
// name (its entries, for "/."), with the container's ids, and extracts
// into another container as the same tree.
func TestTarRoundTrip(t *testing.T) {
	c := newFakeContainer(t)
	build(t, c.dir, "app/ 0750", "app/f 0640 data", "app/l -> /etc/passwd", "app/p| 0600", "app/sub/ 0700", "app/sub/g 0644 g")
	uid, gid := os.Getuid(), os.Getgid()
	c.root.uids = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(uid), Size: 1}}
	c.root.gids = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(gid), Size: 1}}
	for _, tc := range []struct {
		src   string
		names string
	}{
		{"/app", "app/ app/f app/l app/p app/sub/ app/sub/g"},
		{"/app/.", "f l p sub/ sub/g"},
		{"/app/f", "f"},
	} {
		var buf bytes.Buffer
		if err := WriteTar(c.root, tc.src, &buf, Options{}); err != nil {
			t.Fatal(err)
		}
		var names []string
		tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, h.Name)
			if h.Uid != 0 || h.Gid != 0 {
				t.Errorf("%s: owner %d:%d in the stream, want the container's 0:0", h.Name, h.Uid, h.Gid)
			}
		}
		if got := strings.Join(names, " "); got != tc.names {
			t.Errorf("tar of %s: %s, want %s", tc.src, got, tc.names)
		}
		if tc.src != "/app" {
			continue
		}
		other := newFakeContainer(t)
		other.root.uids, other.root.gids = c.root.uids, c.root.gids
		build(t, other.dir, "into/ 0755")
		if err := ExtractTar(&buf, other.root, "/into", Options{KeepOwners: true}); err != nil {
			t.Fatal(err)
		}
		wantTree(t, other.dir, "into/ 0755", "into/app/ 0750", "into/app/f 0640 data", "into/app/l -> /etc/passwd",
			"into/app/p| 0600", "into/app/sub/ 0700", "into/app/sub/g 0644 g")
	}
}

// With -a a stream's owners must be ids the container has; without, the
// copies are the caller's whatever the stream says.
func TestTarOwners(t *testing.T) {
	c := newFakeContainer(t)
	c.root.uids = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getuid()), Size: 1}}
	c.root.gids = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getgid()), Size: 1}}
	stream := func() *bytes.Buffer {
		return tarOf(t, tar.Header{Name: "f", Typeflag: tar.TypeReg, Linkname: "x", Uid: 1000, Gid: 1000})
	}
	if err := ExtractTar(stream(), c.root, "/", Options{KeepOwners: true}); err == nil || !strings.Contains(err.Error(), "1000:1000 has no id in the container") {
		t.Errorf("-a with an unmapped owner: %v", err)
	}
	if err := ExtractTar(stream(), c.root, "/", Options{}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(c.dir, "f"))
	if err != nil || st.Size() != 1 {
		t.Fatalf("f: %v %v", st, err)
	}
}

// A stream cut short, or one a stream's entries cannot be, fails with
// the entry's name and leaves no temporary file.
func TestTarBadEntries(t *testing.T) {
	c := newFakeContainer(t)
	full := tarOf(t, tar.Header{Name: "big", Typeflag: tar.TypeReg, Linkname: strings.Repeat("x", 4096)})
	cut := bytes.NewReader(full.Bytes()[:1024])
	if err := ExtractTar(cut, c.root, "/", Options{}); err == nil {
		t.Error("a cut stream was extracted")
	}
	dev := tarOf(t, tar.Header{Name: "null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3})
	if err := ExtractTar(dev, c.root, "/", Options{}); err == nil || !strings.Contains(err.Error(), "/null: a device file") {
		t.Errorf("a device: %v", err)
	}
	if err := ExtractTar(tarOf(t), c.root, "/missing", Options{}); err == nil {
		t.Error("extracted into a missing directory")
	}
	wantTree(t, c.dir)
}

func TestParseIDMap(t *testing.T) {
	m, err := ParseIDMap(strings.NewReader("         0       1001          1\n         1     100000      65536\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, host int }{{0, 1001}, {1, 100000}, {1000, 100999}, {65536, 165535}} {
		if got, ok := toHost(m, tc.in); !ok || got != tc.host {
			t.Errorf("toHost(%d) = %d %v, want %d", tc.in, got, ok, tc.host)
		}
		if got := fromHost(m, tc.host); got != tc.in {
			t.Errorf("fromHost(%d) = %d, want %d", tc.host, got, tc.in)
		}
	}
	if _, ok := toHost(m, 65537); ok {
		t.Error("65537 is mapped")
	}
	if got := fromHost(m, 5); got != overflowID {
		t.Errorf("fromHost(5) = %d, want the overflow id", got)
	}
	if _, err := ParseIDMap(strings.NewReader("0 1\n")); err == nil {
		t.Error("a short line parsed")
	}
}
