package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"nook/images"
	"nook/progress"
	"nook/registry"
)

type loadCmd struct {
	Input string `short:"i" required:"" placeholder:"FILE" help:"Archive to read: docker save output or an OCI layout tar ('-' for stdin)."`
	Quiet bool   `short:"q" help:"Print nothing but errors."`
}

func (c *loadCmd) Run(g *globals) error {
	st, err := openStore(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	file, done, err := seekable(c.Input, st)
	if err != nil {
		return failed(err)
	}
	defer done()
	loaded, err := images.Load(context.Background(), st.env(nil), file)
	if err != nil {
		return failed(err)
	}
	for _, l := range loaded {
		if c.Quiet {
			continue
		}
		if len(l.Names) == 0 {
			fmt.Fprintf(g.Stdout, "Loaded image ID: %s\n", l.Image.Digest)
		}
		for _, n := range l.Names {
			fmt.Fprintf(g.Stdout, "Loaded image: %s\n", n)
		}
	}
	return nil
}

// seekable is a file the archive readers can open more than once: the file
// itself, or stdin copied under the store's tmp/.
func seekable(name string, st *imageStore) (string, func(), error) {
	if name != "-" {
		return name, func() {}, nil
	}
	dir, err := st.TempDir()
	if err != nil {
		return "", nil, err
	}
	file := filepath.Join(dir, "stdin.tar")
	f, err := os.Create(file)
	if err == nil {
		_, err = io.Copy(f, os.Stdin)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	done := func() { _ = st.RemoveTemp(dir) }
	if err != nil {
		done()
		return "", nil, fmt.Errorf("read stdin: %w", err)
	}
	return file, done, nil
}

type saveCmd struct {
	Output string   `short:"o" required:"" placeholder:"FILE" help:"Archive to write."`
	Format string   `enum:"docker-archive,oci-archive" default:"docker-archive" help:"docker-archive (docker save's) or oci-archive (an OCI layout)."`
	Images []string `arg:"" placeholder:"IMAGE" help:"Images to save."`
}

func (c *saveCmd) Run(g *globals) error {
	st, err := openStore(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	var saved []images.Saved
	for _, arg := range c.Images {
		img, err := images.Find(st.Store, arg)
		if err != nil {
			return failed(err)
		}
		s := images.Saved{Image: img}
		if n := typedName(arg); n != "" {
			if ref, _ := registry.ParseRef(arg); ref.Digest() == "" {
				s.Names = []string{n}
			}
		}
		if s.Names == nil {
			s.Names, _ = st.NamesOf(img.Digest)
		}
		saved = append(saved, s)
	}
	return failed(c.write(st, saved))
}

// write builds the archive under a temporary name beside the output and
// renames it into place, so a failed save leaves no half archive.
func (c *saveCmd) write(st *imageStore, saved []images.Saved) error {
	out, err := filepath.Abs(c.Output)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".nook-save-*")
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer os.Remove(f.Name())
	if c.Format == "oci-archive" {
		var dir string
		if dir, err = st.TempDir(); err == nil {
			err = images.SaveOCI(st.Store, saved, dir, f)
			_ = st.RemoveTemp(dir)
		}
	} else {
		err = images.SaveDocker(st.Store, saved, f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("save %s: %w", c.Output, err)
	}
	return os.Rename(f.Name(), out)
}

type importCmd struct {
	Tarball string `arg:"" placeholder:"TARBALL" help:"Root filesystem tarball (plain, gzip or zstd; '-' for stdin)."`
	Ref     string `arg:"" optional:"" placeholder:"IMAGE" help:"Name for the new image."`
}

func (c *importCmd) Run(g *globals) error {
	st, err := openStore(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	var names []string
	if c.Ref != "" {
		ref, err := registry.ParseRef(c.Ref)
		if err != nil {
			return failed(err)
		}
		names = []string{ref.String()}
	}
	file, done, err := seekable(c.Tarball, st)
	if err != nil {
		return failed(err)
	}
	defer done()
	img, err := images.Import(context.Background(), st.env(progress.New(io.Discard, progress.Quiet)), file, names)
	if err != nil {
		return failed(err)
	}
	fmt.Fprintln(g.Stdout, img.Digest)
	return nil
}
