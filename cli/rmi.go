package cli

import (
	"errors"
	"fmt"
	"slices"

	"nook/images"
	"nook/progress"
	"nook/registry"
	"nook/rootfs"
	"nook/store"
)

type rmiCmd struct {
	Force  bool     `short:"f" help:"Remove images that containers still use (their files stay until the containers are removed)."`
	Images []string `arg:"" placeholder:"IMAGE" help:"Names or IDs."`
}

func (c *rmiCmd) Run(g *globals) error {
	st, recs, err := openWithContainers(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	var errs []error
	for _, arg := range c.Images {
		if err := c.remove(g, st.Store, recs, arg); err != nil {
			errs = append(errs, err)
		}
	}
	// The layers and blobs no image lists any more go now, as with Docker.
	if _, err := st.Prune(store.PruneOptions{InUse: rootfs.LayersInUse(recs)}); err != nil {
		errs = append(errs, err)
	}
	return failed(errors.Join(errs...))
}

func (c *rmiCmd) remove(g *globals, st *store.Store, recs []rootfs.Record, arg string) error {
	img, err := images.Find(st, arg)
	if err != nil {
		return err
	}
	names, err := st.NamesOf(img.Digest)
	if err != nil {
		return err
	}
	if name := typedName(arg); len(names) > 1 && slices.Contains(names, name) {
		fmt.Fprintf(g.Stdout, "Untagged: %s\n", name)
		return st.Untag(name)
	}
	if users := usersOf(recs, img.Digest); len(users) > 0 && !c.Force {
		return fmt.Errorf("image %s is in use by container %s: remove the container first, or use nook rmi -f", arg, progress.Short(users[0]))
	}
	for _, n := range names {
		if err := st.Untag(n); err != nil {
			return err
		}
		fmt.Fprintf(g.Stdout, "Untagged: %s\n", n)
	}
	if err := st.RemoveImage(img.Digest); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "Deleted: %s\n", img.Digest)
	return nil
}

// typedName is the normalized name arg stands for, if it is one.
func typedName(arg string) string {
	ref, err := registry.ParseRef(arg)
	if err != nil {
		return ""
	}
	return ref.String()
}

func usersOf(recs []rootfs.Record, d store.Digest) []string {
	var ids []string
	for _, r := range recs {
		if r.Image == d {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

type imagePruneCmd struct {
	All bool `short:"a" help:"Remove every image no container uses, not only unnamed ones."`
}

func (c *imagePruneCmd) Run(g *globals) error {
	st, recs, err := openWithContainers(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	if c.All {
		if err := untagUnused(st.Store, recs); err != nil {
			return failed(err)
		}
	}
	res, err := st.Prune(store.PruneOptions{Dangling: true, InUse: rootfs.LayersInUse(recs)})
	for _, d := range res.Images {
		fmt.Fprintf(g.Stdout, "Deleted: %s\n", d)
	}
	fmt.Fprintf(g.Stdout, "Total reclaimed space: %s\n", progress.Size(res.Bytes))
	return failed(err)
}

// untagUnused drops the names of images no container uses, so that Prune
// treats them as dangling.
func untagUnused(st *store.Store, recs []rootfs.Record) error {
	refs, err := st.Refs()
	if err != nil {
		return err
	}
	for name, d := range refs {
		if len(usersOf(recs, d)) == 0 {
			if err := st.Untag(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// openWithContainers opens the store and reads the containers' records,
// which say what images and layers are still in use.
func openWithContainers(g *globals) (*imageStore, []rootfs.Record, error) {
	st, err := openStore(g)
	if err != nil {
		return nil, nil, err
	}
	recs, err := rootfs.List(st.Store)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, recs, nil
}
