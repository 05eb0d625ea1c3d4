package images

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, format := range []string{"docker", "oci"} {
		t.Run(format, func(t *testing.T) {
			env, _ := testEnv(t)
			img := add(t, env, imageOf(t, layerOf(t, map[string]string{"f": "x"})), "docker.io/library/rt:1")
			var buf bytes.Buffer
			var err error
			if format == "oci" {
				err = SaveOCI(env.Store, []Saved{{Image: img, Names: []string{"docker.io/library/rt:1"}}}, t.TempDir(), &buf)
			} else {
				err = SaveDocker(env.Store, []Saved{{Image: img, Names: []string{"docker.io/library/rt:1"}}}, &buf)
			}
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "a.tar")
			os.WriteFile(file, buf.Bytes(), 0o600)
			other, _ := testEnv(t)
			loaded, err := Load(context.Background(), other, file)
			if err != nil {
				t.Fatal(err)
			}
			if len(loaded) != 1 || len(loaded[0].Names) != 1 || loaded[0].Names[0] != "docker.io/library/rt:1" {
				t.Fatalf("loaded %+v", loaded)
			}
			if format == "oci" && loaded[0].Image.Digest != img.Digest {
				t.Errorf("digest changed: %s → %s", img.Digest, loaded[0].Image.Digest)
			}
			if _, err := Find(other.Store, "rt:1"); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestLoadRefusesOther(t *testing.T) {
	env, _ := testEnv(t)
	file := filepath.Join(t.TempDir(), "rootfs.tar")
	os.WriteFile(file, tarOf(t, map[string]string{"etc/passwd": "root"}), 0o600)
	if _, err := Load(context.Background(), env, file); err == nil || !bytes.Contains([]byte(err.Error()), []byte("use nook import")) {
		t.Errorf("err = %v", err)
	}
	img, err := Import(context.Background(), env, file, []string{"docker.io/library/imp:latest"})
	if err != nil || len(img.Layers) != 1 {
		t.Fatalf("import: %+v %v", img, err)
	}
}
