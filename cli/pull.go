package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"nook/images"
	"nook/progress"
	"nook/registry"
)

// registryFlags are how pull and run reach registries.
type registryFlags struct {
	Platform         string   `placeholder:"OS/ARCH[/VARIANT]" help:"Platform to pull from a multi-arch image (default: this host's)."`
	InsecureRegistry []string `placeholder:"HOST[:PORT]" help:"Allow plain HTTP to this registry (loopback registries always may)."`
}

func (f registryFlags) registryOptions() registry.Options {
	return registry.Options{Platform: f.Platform, Insecure: f.InsecureRegistry}
}

type pullCmd struct {
	registryFlags
	Quiet bool   `short:"q" help:"Print only the image's digest."`
	Image string `arg:"" placeholder:"IMAGE" help:"Image reference, e.g. alpine, docker.io/library/alpine:3.20, host:5000/app@sha256:..."`
}

func (c *pullCmd) Run(g *globals) error {
	st, err := openStore(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	mode := progress.Lines
	switch {
	case c.Quiet:
		mode = progress.Quiet
	case isTerminal(g.Stdout):
		mode = progress.Bars
	}
	p, err := pull(g, st, c.Image, c.registryOptions(), mode)
	if err != nil {
		return failed(err)
	}
	if c.Quiet {
		fmt.Fprintln(g.Stdout, p.Image.Digest)
		return nil
	}
	if p.UpToDate {
		fmt.Fprintf(g.Stdout, "Image is up to date for %s (%s)\n", p.Name, p.Image.Digest)
	} else {
		fmt.Fprintf(g.Stdout, "Pulled %s (%s)\n", p.Name, p.Image.Digest)
	}
	return nil
}

// pull fetches an image, stopping cleanly on Ctrl-C: the store keeps the
// complete blobs and layers and drops the partial ones.
func pull(g *globals, st *imageStore, ref string, o registry.Options, mode progress.Mode) (images.Pulled, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	show := progress.New(g.Stdout, mode)
	p, err := images.Pull(ctx, st.env(show), ref, o)
	show.Wait()
	return p, err
}

// failedErr is an image command's failure: exit status 1, as Docker's.
type failedErr struct{ err error }

func (e failedErr) Error() string { return e.err.Error() }
func (e failedErr) Unwrap() error { return e.err }

func failed(err error) error {
	if err == nil {
		return nil
	}
	return failedErr{err}
}
