package layer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TestDiffIDCoversTrailingBytes: builders pad layers past the tar end
// marker (docker writes whole 10 KiB records); the image's diffID hashes
// them, so Unpack must too, whatever the compression.
func TestDiffIDCoversTrailingBytes(t *testing.T) {
	plain := append(tarball(t, fileE("a", "x", 0o644)), make([]byte, 8192)...)
	for name, b := range map[string][]byte{"tar": plain, "gzip": gzipped(t, plain), "zstd": zstded(t, plain)} {
		t.Run(name, func(t *testing.T) {
			res, err := Unpack(bytes.NewReader(b), newFixture(t).dir, "l", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.DiffID != digestOf(plain) {
				t.Errorf("DiffID = %s, want %s", res.DiffID, digestOf(plain))
			}
		})
	}
}
