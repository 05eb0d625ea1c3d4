package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestParseDigest(t *testing.T) {
	good := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	d, err := ParseDigest(good)
	if err != nil || string(d) != good || d.Hex() != good[7:] {
		t.Fatalf("ParseDigest(%q) = %q, %v; Hex %q", good, d, err, d.Hex())
	}
	for _, bad := range []string{
		"",
		"sha256:",
		strings.TrimPrefix(good, "sha256:"),   // no algorithm
		"SHA256:" + good[7:],                  // algorithm's case
		"sha256:" + strings.ToUpper(good[7:]), // hex case
		good[:len(good)-1],                    // 63 digits
		good + "0",                            // 65 digits
		"sha512:" + strings.Repeat("ab", 64),  // other algorithm
		"sha256:" + strings.Repeat("g", 64),   // not hex
		"sha256:../../../../etc/passwd" + good[30:],   // a path
		"sha256:" + strings.Repeat("a", 63) + "/",     // a slash
		" sha256:" + good[7:],                         // space
		"sha256:" + good[7:] + "\n",                   // newline
		"sha256:" + strings.Repeat("a", 62) + "\x00a", // NUL
	} {
		if d, err := ParseDigest(bad); err == nil {
			t.Errorf("ParseDigest(%q) = %q, want an error", bad, d)
		}
		if h := Digest(bad).Hex(); h != "" {
			t.Errorf("Digest(%q).Hex() = %q, want empty", bad, h)
		}
	}
	if _, err := ParseDigest("sha512:" + strings.Repeat("ab", 64)); err == nil || !strings.Contains(err.Error(), "sha512") {
		t.Errorf("sha512: error %v should name the algorithm", err)
	}
}

func TestFromBytes(t *testing.T) {
	// sha256 of nothing, as every tool prints it.
	const empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if d := FromBytes(nil); d != empty {
		t.Errorf("FromBytes(nil) = %s, want %s", d, empty)
	}
	if !FromBytes([]byte("x")).Valid() {
		t.Error("FromBytes gives an invalid digest")
	}
}

func TestChainIDs(t *testing.T) {
	diffs := []Digest{FromBytes([]byte("a")), FromBytes([]byte("b")), FromBytes([]byte("c"))}
	// By hand, as the OCI image spec writes it: the chain ID of a layer
	// is the sha256 of the text "<parent chain ID> <diff ID>".
	sum := func(s string) Digest {
		h := sha256.Sum256([]byte(s))
		return Digest("sha256:" + hex.EncodeToString(h[:]))
	}
	c0 := diffs[0]
	c1 := sum(string(c0) + " " + string(diffs[1]))
	c2 := sum(string(c1) + " " + string(diffs[2]))
	got := ChainIDs(diffs)
	want := []Digest{c0, c1, c2}
	if len(got) != len(want) {
		t.Fatalf("ChainIDs: %d IDs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("chain %d = %s, want %s", i, got[i], want[i])
		}
	}
	if c1 == diffs[1] || c2 == diffs[2] {
		t.Error("chain IDs above the base must differ from their diff IDs")
	}
	if len(ChainIDs(nil)) != 0 {
		t.Error("ChainIDs(nil) not empty")
	}
}
