package registry

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is go-containerregistry's in-memory registry on loopback.
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func push(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func mustRef(t *testing.T, s string) Ref {
	t.Helper()
	r, err := ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFetchImage(t *testing.T) {
	host := testRegistry(t)
	img, err := random.Image(64, 2)
	if err != nil {
		t.Fatal(err)
	}
	push(t, host+"/a/img:1", img)
	got, err := Fetch(context.Background(), mustRef(t, host+"/a/img:1"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if d, _ := got.Image.Digest(); d != want || got.Index != nil {
		t.Errorf("digest %s, want %s (index %q)", d, want, got.Index)
	}
}

func TestFetchIndexChoosesPlatform(t *testing.T) {
	host := testRegistry(t)
	amd, _ := random.Image(32, 1)
	arm, _ := random.Image(32, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	r, _ := name.ParseReference(host + "/multi:latest")
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	for plat, want := range map[string]v1.Image{"linux/amd64": amd, "linux/arm64": arm, "linux/arm64/v8": arm} {
		got, err := Fetch(context.Background(), mustRef(t, host+"/multi"), Options{Platform: plat})
		if err != nil {
			t.Fatalf("%s: %v", plat, err)
		}
		gd, _ := got.Image.Digest()
		wd, _ := want.Digest()
		if gd != wd || got.Index == nil || got.IndexMediaType != string(types.OCIImageIndex) {
			t.Errorf("%s: got %s (index %d bytes, %s), want %s", plat, gd, len(got.Index), got.IndexMediaType, wd)
		}
	}
	_, err := Fetch(context.Background(), mustRef(t, host+"/multi"), Options{Platform: "linux/s390x"})
	if err == nil || !strings.Contains(err.Error(), "no image for linux/s390x (it has linux/arm64/v8, linux/amd64)") {
		t.Errorf("s390x: %v", err)
	}
}

func TestFetchErrors(t *testing.T) {
	host := testRegistry(t)
	artifact := mutate.ConfigMediaType(empty.Image, "application/vnd.cncf.helm.config.v1+json")
	push(t, host+"/chart:1", artifact)
	dead := deadAddress(t)
	for _, c := range []struct {
		ref, platform string
		kind          error
		words         string
	}{
		{ref: host + "/nothing:here", kind: ErrNotFound, words: "not found in registry"},
		{ref: host + "/chart:1", words: "is not a container image"},
		{ref: dead + "/x:1", kind: ErrUnreachable, words: "cannot reach registry " + dead},
		{ref: host + "/x:1", platform: "linux", words: "invalid platform"},
	} {
		_, err := Fetch(context.Background(), mustRef(t, c.ref), Options{Platform: c.platform})
		if err == nil || !strings.Contains(err.Error(), c.words) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", c.ref, err, c.words)
			continue
		}
		if c.kind != nil && !errors.Is(err, c.kind) {
			t.Errorf("%s: %v is not %v", c.ref, err, c.kind)
		}
	}
}

func deadAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestPlainHTTPOnlyWhenAllowed(t *testing.T) {
	g := plainHTTPGuard{allowed: []string{"reg.lan:5000", "10.1.1.1"}}
	for host, ok := range map[string]bool{
		"127.0.0.1:5000": true, "localhost:80": true, "[::1]:5000": true, "reg.lan:5000": true,
		"10.1.1.1:443": true, "10.0.0.2:5000": false, "reg.lan:6000": false, "example.com": false,
	} {
		if got := g.mayUseHTTP(host); got != ok {
			t.Errorf("mayUseHTTP(%q) = %v, want %v", host, got, ok)
		}
	}
}

func TestParsePlatform(t *testing.T) {
	p, err := ParsePlatform("linux/arm/v7")
	if err != nil || FormatPlatform(p) != "linux/arm/v7" {
		t.Errorf("%v %v", p, err)
	}
	for _, bad := range []string{"linux", "/amd64", "a/b/c/d"} {
		if _, err := ParsePlatform(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestExplainCorruptAndMissingBlob(t *testing.T) {
	ref := mustRef(t, "127.0.0.1:5000/a/b:1")
	err := Explain(ref, "layer sha256:aa", errors.New(`write blob sha256:aa: error verifying sha256 checksum after reading 10 bytes; got "sha256:bb", want "sha256:aa"`))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "layer sha256:aa of 127.0.0.1:5000/a/b:1: the registry sent content that does not match its digest (error verifying") {
		t.Errorf("corrupt: %v", err)
	}
	missing := &transport.Error{StatusCode: 404, Errors: []transport.Diagnostic{{Code: transport.BlobUnknownErrorCode}}}
	err = Explain(ref, "layer sha256:aa", missing)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "is missing from registry 127.0.0.1:5000 although the image's manifest lists it") {
		t.Errorf("missing blob: %v", err)
	}
	if err := Explain(ref, "", missing); !strings.Contains(err.Error(), "check the name and tag") {
		t.Errorf("missing manifest: %v", err)
	}
}
