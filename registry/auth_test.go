package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// authRegistry wants Basic credentials user:secret on every request.
func authRegistry(t *testing.T) string {
	t.Helper()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	// Pushed straight to the registry, past the credential check.
	direct := httptest.NewServer(reg)
	t.Cleanup(direct.Close)
	img, _ := random.Image(16, 1)
	push(t, strings.TrimPrefix(direct.URL, "http://")+"/private/app:1", img)
	return host
}

func writeAuth(t *testing.T, file, host, user, pass string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	body := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAuthFromDockerConfig(t *testing.T) {
	host := authRegistry(t)
	ref := mustRef(t, host+"/private/app:1")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("REGISTRY_AUTH_FILE", "")
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)

	_, err := Fetch(context.Background(), ref, Options{})
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "refused access") {
		t.Fatalf("without credentials: %v", err)
	}
	writeAuth(t, filepath.Join(dir, "config.json"), host, "user", "wrong")
	if _, err := Fetch(context.Background(), ref, Options{}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong password: %v", err)
	}
	writeAuth(t, filepath.Join(dir, "config.json"), host, "user", "secret")
	if _, err := Fetch(context.Background(), ref, Options{}); err != nil {
		t.Fatalf("with ~/.docker/config.json credentials: %v", err)
	}
}

func TestAuthFromRegistryAuthFile(t *testing.T) {
	host := authRegistry(t)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	file := filepath.Join(t.TempDir(), "auth.json")
	writeAuth(t, file, host, "user", "secret")
	t.Setenv("REGISTRY_AUTH_FILE", file)
	if _, err := Fetch(context.Background(), mustRef(t, host+"/private/app:1"), Options{}); err != nil {
		t.Fatalf("with $REGISTRY_AUTH_FILE: %v", err)
	}
}
