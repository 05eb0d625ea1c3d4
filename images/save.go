package images

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"nook/store"
)

// Saved is one image to save and the names to save it under.
type Saved struct {
	Image store.Image
	Names []string
}

// SaveDocker writes `docker save`'s format to w.
func SaveDocker(st *store.Store, imgs []Saved, w io.Writer) error {
	refs := map[name.Reference]v1.Image{}
	for _, s := range imgs {
		img, err := V1(st, s.Image)
		if err != nil {
			return err
		}
		if len(s.Names) == 0 {
			return fmt.Errorf("image %s has no name: docker-archive needs one (nook tag it first, or use --format oci-archive)", s.Image.Digest)
		}
		for _, n := range s.Names {
			ref, err := name.ParseReference(n, name.WeakValidation)
			if err != nil {
				return err
			}
			refs[ref] = img
		}
	}
	return tarball.MultiRefWrite(refs, w)
}

// SaveOCI writes an OCI image layout as a tar to w, each image annotated
// with its name as containerd and podman do. dir is an empty scratch
// directory.
func SaveOCI(st *store.Store, imgs []Saved, dir string, w io.Writer) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	for _, s := range imgs {
		img, err := V1(st, s.Image)
		if err != nil {
			return err
		}
		ann := map[string]string{}
		if len(s.Names) > 0 {
			ann["io.containerd.image.name"] = s.Names[0]
			_, tag := SplitName(s.Names[0])
			ann["org.opencontainers.image.ref.name"] = tag
		}
		if err := p.AppendImage(img, layout.WithAnnotations(ann)); err != nil {
			return err
		}
	}
	return tarDir(dir, w)
}

// tarDir writes the regular files and directories under dir.
func tarDir(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name, h.Uid, h.Gid, h.Uname, h.Gname = filepath.ToSlash(rel), 0, 0, "", ""
		if d.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
