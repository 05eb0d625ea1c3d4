package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

func TestTagResolveUntag(t *testing.T) {
	s := openStore(t)
	a := addImage(t, s, "a", t0, "base")
	b := addImage(t, s, "b", t0, "base", "b1")
	const name = "docker.io/library/alpine:latest"
	if _, err := s.Resolve(name); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve before Tag: %v, want ErrNotFound", err)
	}
	if err := s.Tag(name, a.Digest); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag("example.com/x:1", a.Digest); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(name, b.Digest); err != nil { // moves the name
		t.Fatal(err)
	}
	// A fresh Store reads the same.
	s2, err := Open(s.Root)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := s2.Resolve(name); err != nil || d != b.Digest {
		t.Errorf("Resolve = %s, %v; want %s", d, err, b.Digest)
	}
	refs, err := s2.Refs()
	if err != nil || len(refs) != 2 || refs["example.com/x:1"] != a.Digest {
		t.Errorf("Refs = %v, %v", refs, err)
	}
	if names, err := s2.NamesOf(a.Digest); err != nil || len(names) != 1 || names[0] != "example.com/x:1" {
		t.Errorf("NamesOf = %v, %v", names, err)
	}
	if err := s2.Untag(name); err != nil {
		t.Fatal(err)
	}
	if err := s2.Untag(name); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Untag: %v, want ErrNotFound", err)
	}
	if err := s2.Tag("x:1", FromBytes([]byte("no such image"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Tag of a missing image: %v, want ErrNotFound", err)
	}
	if err := s2.Tag("x:1", "sha256:nope"); err == nil {
		t.Error("Tag with an invalid digest succeeded")
	}
	assertEmpty(t, s.tmpDir())
}

// refs.json is replaced, never rewritten in place: readers running against
// a writer never see a partial file.
func TestRefsAtomic(t *testing.T) {
	s := openStore(t)
	a := addImage(t, s, "a", t0, "base")
	b := addImage(t, s, "b", t0, "base", "b1")
	if err := s.Tag("seed", a.Digest); err != nil {
		t.Fatal(err)
	}
	stop := time.Now().Add(400 * time.Millisecond)
	var wg sync.WaitGroup
	var writes, reads int
	var writeErr error
	wg.Go(func() {
		for i := 0; time.Now().Before(stop); i++ {
			// Names of varying length, so successive files differ
			// in size and a torn read would not parse.
			name := fmt.Sprintf("example.com/img%0*d:tag", i%40, i)
			d := a.Digest
			if i%2 == 1 {
				d = b.Digest
			}
			if err := s.Tag(name, d); err != nil {
				writeErr = err
				return
			}
			if i%3 == 0 {
				if err := s.Untag(name); err != nil {
					writeErr = err
					return
				}
			}
			writes++
		}
	})
	readErrs := make(chan error, 1)
	wg.Go(func() {
		for time.Now().Before(stop) {
			raw, err := os.ReadFile(s.refsPath())
			if err == nil {
				var f refsFile
				err = json.Unmarshal(raw, &f)
				if err == nil && f.Refs["seed"] != a.Digest {
					err = fmt.Errorf("seed missing from %d-byte file", len(raw))
				}
			}
			if err != nil {
				readErrs <- err
				return
			}
			reads++
		}
	})
	wg.Wait()
	close(readErrs)
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	if err := <-readErrs; err != nil {
		t.Fatalf("reader saw a bad refs.json: %v", err)
	}
	if writes < 10 || reads < 10 {
		t.Errorf("only %d writes and %d reads", writes, reads)
	}
	t.Logf("%d writes, %d reads", writes, reads)
	assertEmpty(t, s.tmpDir())
}
