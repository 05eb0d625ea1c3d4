package registry

import (
	"strings"
	"testing"
)

func TestParseRefNormalizes(t *testing.T) {
	for in, want := range map[string]string{
		"alpine":                   "docker.io/library/alpine:latest",
		"alpine:3.20":              "docker.io/library/alpine:3.20",
		"user/app:tag":             "docker.io/user/app:tag",
		"docker.io/library/alpine": "docker.io/library/alpine:latest",
		"index.docker.io/user/app": "docker.io/user/app:latest",
		"quay.io/podman/hello":     "quay.io/podman/hello:latest",
		"localhost:5000/repo/x:1":  "localhost:5000/repo/x:1",
		"127.0.0.1:5000/a@sha256:" + strings.Repeat("ab", 32): "127.0.0.1:5000/a@sha256:" + strings.Repeat("ab", 32),
	} {
		r, err := ParseRef(in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", in, err)
			continue
		}
		if r.String() != want {
			t.Errorf("ParseRef(%q) = %q, want %q", in, r, want)
		}
	}
}

func TestParseRefParts(t *testing.T) {
	r, err := ParseRef("localhost:5000/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Registry() != "localhost:5000" || r.Repository() != "localhost:5000/team/app" || r.Tag() != "v1" || r.Digest() != "" {
		t.Errorf("parts: %q %q %q %q", r.Registry(), r.Repository(), r.Tag(), r.Digest())
	}
	d := "sha256:" + strings.Repeat("0f", 32)
	rd, err := r.WithDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	if rd.String() != "localhost:5000/team/app@"+d || rd.Tag() != "" {
		t.Errorf("WithDigest = %q", rd)
	}
}

func TestParseRefRejects(t *testing.T) {
	for in, word := range map[string]string{
		"":                   "give a name",
		"UPPER/Case::":       "invalid image reference",
		"alpine@sha256:beef": "digest",
		"Alpine":             "lowercase",
		"a:b:c":              "invalid image reference",
		"a//b":               "empty path component",
		"a/-b":               "must start and end",
		"a/b..c":             "single separators",
	} {
		_, err := ParseRef(in)
		if err == nil {
			t.Errorf("ParseRef(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), word) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseRef(%q): %q, want one line with %q", in, err, word)
		}
	}
}
