package progress

import (
	"bytes"
	"strings"
	"testing"
)

func TestLinesOnePerLayer(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, Lines)
	a := s.Layer("sha256:0123456789abcdef0123", 100)
	b := s.Layer("sha256:fedcba9876543210fedc", 0)
	a.Add(40)
	a.Retry()
	a.Add(1500)
	b.Done("already present")
	a.Done("downloaded and unpacked")
	s.Wait()
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != 2 || got[0] != "fedcba987654: already present" ||
		!strings.HasPrefix(got[1], "0123456789ab: downloaded and unpacked (1.5kB in ") || !strings.HasSuffix(got[1], "after 1 retries") {
		t.Errorf("lines:\n%s", out.String())
	}
}

func TestQuietPrintsNothing(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, Quiet)
	l := s.Layer("sha256:00", 1)
	l.Add(1)
	l.Done("unpacked")
	s.Wait()
	if out.Len() != 0 {
		t.Errorf("quiet printed %q", out.String())
	}
}

func TestBarsDrawAndFinish(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, Bars)
	l := s.Layer("sha256:abcdefabcdefabcdef", 2000)
	l.Add(2000)
	l.Done("downloaded and unpacked")
	s.Wait()
	if !strings.Contains(out.String(), "abcdefabcdef") || !strings.Contains(out.String(), "2.0 KB / 2.0 KB") {
		t.Errorf("bars: %q", out.String())
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1000: "1kB", 123456: "123kB", 5_600_000: "5.6MB", 1 << 30: "1.07GB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
