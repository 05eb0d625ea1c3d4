// Package registry reaches OCI and Docker registries through
// go-containerregistry: references in Docker's notation, platform selection
// from multi-arch indexes, credentials from the user's Docker or podman auth
// files, and errors a user can act on.
package registry

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Ref is a parsed image reference: a tag or a digest in a repository.
type Ref struct {
	ref name.Reference
}

// dockerHub is how go-containerregistry names Docker Hub; users and the
// store say docker.io, as Docker and podman print it.
const dockerHub = "index.docker.io"

// ParseRef reads a reference as Docker does: "alpine" is
// docker.io/library/alpine:latest, "user/app:tag" is on docker.io too, and
// "host:port/repo@sha256:..." names a digest.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("invalid image reference \"\": give a name such as alpine or registry.example.com/app:1.0")
	}
	r, err := name.ParseReference(s, name.WeakValidation)
	if err != nil {
		return Ref{}, fmt.Errorf("invalid image reference %q: %s", s, refProblem(s, err))
	}
	if err := checkPath(r.Context().RepositoryStr()); err != nil {
		return Ref{}, fmt.Errorf("invalid image reference %q: %s", s, err)
	}
	return Ref{ref: r}, nil
}

// checkPath applies the rules of Docker's reference grammar that
// go-containerregistry leaves out: every path component non-empty, made of
// lowercase letters and digits joined by single separators (".", "_",
// "__", dashes).
func checkPath(repo string) error {
	for _, c := range strings.Split(repo, "/") {
		if c == "" {
			return fmt.Errorf("repository %q has an empty path component", repo)
		}
		if !alnum(c[0]) || !alnum(c[len(c)-1]) || strings.Contains(c, "..") || strings.Contains(c, "___") {
			return fmt.Errorf("path component %q must start and end with a lowercase letter or digit, with single separators between", c)
		}
	}
	return nil
}

func alnum(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }

// refProblem says which rule the reference broke. ParseReference only
// reports that neither a tag nor a digest parsed, so the specific parser
// is asked again.
func refProblem(s string, err error) string {
	if strings.Contains(s, "@") {
		_, err = name.NewDigest(s, name.WeakValidation)
	} else if _, terr := name.NewTag(s, name.WeakValidation); terr != nil {
		err = terr
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "repository can only contain"):
		return "repository names are lowercase letters, digits and separators (. _ - /)"
	case strings.Contains(msg, "tag can only contain"):
		return "a tag is up to 128 letters, digits, '_', '.' or '-'"
	case strings.Contains(msg, "digest"):
		return "a digest is sha256: followed by 64 hex digits"
	}
	return msg
}

// String is the normalized reference: docker.io/library/alpine:latest.
func (r Ref) String() string {
	return r.Repository() + r.suffix()
}

// Repository is the normalized repository: docker.io/library/alpine.
func (r Ref) Repository() string {
	repo := r.ref.Context()
	reg := repo.RegistryStr()
	if reg == dockerHub {
		reg = "docker.io"
	}
	return reg + "/" + repo.RepositoryStr()
}

// Registry is the registry's host[:port], docker.io for Docker Hub.
func (r Ref) Registry() string {
	reg := r.ref.Context().RegistryStr()
	if reg == dockerHub {
		return "docker.io"
	}
	return reg
}

// Tag is the tag, empty for a digest reference.
func (r Ref) Tag() string {
	if t, ok := r.ref.(name.Tag); ok {
		return t.TagStr()
	}
	return ""
}

// Digest is the digest of a digest reference, else empty.
func (r Ref) Digest() string {
	if d, ok := r.ref.(name.Digest); ok {
		return d.DigestStr()
	}
	return ""
}

func (r Ref) suffix() string {
	if d := r.Digest(); d != "" {
		return "@" + d
	}
	return ":" + r.Tag()
}

// WithDigest is the same repository at digest d (for pulling the image an
// index entry names).
func (r Ref) WithDigest(d string) (Ref, error) {
	return ParseRef(r.ref.Context().Name() + "@" + d)
}

// Name is the reference for go-containerregistry.
func (r Ref) Name() name.Reference { return r.ref }

// allowHTTP is the same reference with plain HTTP allowed to its registry.
func (r Ref) allowHTTP() Ref {
	again, err := name.ParseReference(r.ref.String(), name.WeakValidation, name.Insecure)
	if err != nil {
		return r
	}
	return Ref{ref: again}
}
