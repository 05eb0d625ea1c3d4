package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Digest names content: "sha256:" and 64 lowercase hex digits. It is the
// only algorithm images use in practice, and accepting exactly one spelling
// means a digest is also a safe file name (no "..", no slash, no case
// aliases of the same blob).
type Digest string

const digestPrefix = "sha256:"

// ParseDigest checks s and returns it as a Digest.
func ParseDigest(s string) (Digest, error) {
	hexPart, ok := strings.CutPrefix(s, digestPrefix)
	if !ok {
		if alg, _, found := strings.Cut(s, ":"); found && alg != "" {
			return "", fmt.Errorf("digest %q: unsupported algorithm %q (only sha256)", s, alg)
		}
		return "", fmt.Errorf("digest %q: want sha256:<64 hex digits>", s)
	}
	if len(hexPart) != 64 {
		return "", fmt.Errorf("digest %q: want 64 hex digits, have %d", s, len(hexPart))
	}
	for i := 0; i < len(hexPart); i++ {
		c := hexPart[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", fmt.Errorf("digest %q: %q is not a lowercase hex digit", s, c)
		}
	}
	return Digest(s), nil
}

// Valid reports whether d is a well-formed digest.
func (d Digest) Valid() bool {
	_, err := ParseDigest(string(d))
	return err == nil
}

// Hex is the digest without its algorithm, the name of its files. It is
// empty for an invalid digest, so that a digest that did not come through
// ParseDigest can never name a path outside the store.
func (d Digest) Hex() string {
	if !d.Valid() {
		return ""
	}
	return string(d[len(digestPrefix):])
}

func (d Digest) String() string { return string(d) }

// FromBytes is the digest of b.
func FromBytes(b []byte) Digest {
	sum := sha256.Sum256(b)
	return Digest(digestPrefix + hex.EncodeToString(sum[:]))
}

// ChainIDs computes the OCI chain IDs of a stack of layers from their diff
// IDs (bottom first): chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " "
// + diff(n)). A chain ID names a layer together with everything beneath it,
// which is what an unpacked layer directory depends on, so it is the key of
// layers/.
func ChainIDs(diffIDs []Digest) []Digest {
	out := make([]Digest, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = chainOf(out[i-1], d)
	}
	return out
}

// chainOf is the chain ID of diff on top of the layer with chain ID parent.
func chainOf(parent, diff Digest) Digest {
	return FromBytes([]byte(string(parent) + " " + string(diff)))
}
