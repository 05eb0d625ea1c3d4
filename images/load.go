package images

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"nook/registry"
	"nook/store"
)

// Loaded is one image Load added, with the names it got.
type Loaded struct {
	Image store.Image
	Names []string
}

// Load adds the images of an archive file: `docker save` output or an OCI
// image layout in a tar (`podman save --format oci-archive`).
func Load(ctx context.Context, env Env, file string) ([]Loaded, error) {
	kind, err := archiveKind(file)
	if err != nil {
		return nil, err
	}
	var srcs []Source
	if kind == "oci" {
		var dir string
		srcs, dir, err = ociSources(env.Store, file)
		if dir != "" {
			defer env.Store.RemoveTemp(dir)
		}
	} else {
		srcs, err = dockerSources(file)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", file, err)
	}
	var out []Loaded
	for _, src := range srcs {
		img, err := Add(ctx, env, src)
		if err != nil {
			return out, fmt.Errorf("load %s: %w", file, err)
		}
		out = append(out, Loaded{Image: img, Names: src.Names})
	}
	return out, nil
}

// archiveKind looks for an OCI layout's marker or docker save's manifest.
func archiveKind(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("load %s: neither a docker save archive (manifest.json) nor an OCI layout (oci-layout): is it a rootfs tarball? use nook import", file)
		}
		if err != nil {
			return "", fmt.Errorf("load %s: not a tar archive: %w", file, err)
		}
		switch filepath.Clean(h.Name) {
		case "oci-layout":
			return "oci", nil
		case "manifest.json":
			return "docker", nil
		}
	}
}

func dockerSources(file string) ([]Source, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(file) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, err
	}
	var out []Source
	for i, d := range m {
		var tag *name.Tag
		var names []string
		for _, t := range d.RepoTags {
			ref, err := registry.ParseRef(t)
			if err != nil {
				return nil, fmt.Errorf("image %d: %w", i, err)
			}
			names = append(names, ref.String())
			if tag == nil {
				nt, err := name.NewTag(t, name.WeakValidation)
				if err != nil {
					return nil, fmt.Errorf("image %d: tag %q: %w", i, t, err)
				}
				tag = &nt
			}
		}
		if tag == nil && len(m) > 1 {
			return nil, fmt.Errorf("image %d has no name, and the archive holds %d images: nook can only load unnamed images one per archive", i, len(m))
		}
		img, err := tarball.Image(opener, tag)
		if err != nil {
			return nil, err
		}
		out = append(out, Source{Image: img, Names: names})
	}
	return out, nil
}

// ociSources unpacks the layout's index and blobs (nothing else: the
// archive is input, not a tree to recreate) into a directory under the
// store's tmp/, which Store.Close or the next Open removes.
func ociSources(st *store.Store, file string) ([]Source, string, error) {
	dir, err := st.TempDir()
	if err != nil {
		return nil, "", err
	}
	if err := extractLayout(file, dir); err != nil {
		return nil, dir, err
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, dir, fmt.Errorf("OCI layout: %w", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, dir, fmt.Errorf("OCI layout: %w", err)
	}
	var out []Source
	for _, d := range m.Manifests {
		src, err := ociSource(idx, d)
		if err != nil {
			return nil, dir, err
		}
		out = append(out, src)
	}
	return out, dir, nil
}

func ociSource(idx v1.ImageIndex, d v1.Descriptor) (Source, error) {
	var names []string
	for _, key := range []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"} {
		if n := d.Annotations[key]; n != "" {
			if ref, err := registry.ParseRef(n); err == nil {
				names = []string{ref.String()}
				break
			}
		}
	}
	if d.MediaType.IsIndex() {
		return Source{}, fmt.Errorf("OCI layout entry %s is itself an index: load a single-platform archive", d.Digest)
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		return Source{}, fmt.Errorf("OCI layout entry %s: %w", d.Digest, err)
	}
	return Source{Image: img, Names: names}, nil
}

// layoutName accepts the only files a layout's reader opens. (A function,
// not a regexp: package variables are built on every nook start.)
func layoutName(p string) bool {
	if p == "oci-layout" || p == "index.json" {
		return true
	}
	h, ok := strings.CutPrefix(p, "blobs/sha256/")
	return ok && len(h) == 64 && strings.Trim(h, "0123456789abcdef") == ""
}

func extractLayout(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o700); err != nil {
		return err
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		p := filepath.ToSlash(filepath.Clean(h.Name))
		if h.Typeflag != tar.TypeReg || !layoutName(p) {
			continue
		}
		if err := writeFile(filepath.Join(dir, p), tr); err != nil {
			return err
		}
	}
}

func writeFile(p string, r io.Reader) error {
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("extract %s: %w", filepath.Base(p), err)
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
