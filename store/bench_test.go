package store

import "testing"

// What `nook run` pays for the store with the image present: Open, Resolve,
// Image.
func BenchmarkOpenResolve(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	img := addImage(b, s, "x", t0, "base", "top")
	if err := s.Tag("x:1", img.Digest); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s2, err := Open(s.Root)
		if err != nil {
			b.Fatal(err)
		}
		d, err := s2.Resolve("x:1")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s2.Image(d); err != nil {
			b.Fatal(err)
		}
	}
}
