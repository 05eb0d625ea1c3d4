package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"nook/images"
	"nook/nsjob"
	"nook/store"
)

// imageStore is the open store with the namespace helper that unpacks and
// deletes for it, started the first time it is needed: most commands
// (images, tag, inspect) never need one.
type imageStore struct {
	*store.Store
	jobs *lazyJobs
}

func openStore(g *globals) (*imageStore, error) {
	return openStoreWith(g, containerIDs())
}

// openStoreWith opens the store for a container whose id map is ids (its
// layers and files are unpacked and removed with it).
func openStoreWith(g *globals, ids idPlan) (*imageStore, error) {
	root, err := store.DefaultRoot()
	if err != nil {
		return nil, err
	}
	jobs := &lazyJobs{ids: ids, notes: func(s string) { fmt.Fprintf(g.Stderr, "nook: %s\n", s) }}
	st, err := store.OpenWith(root, store.Options{Remover: jobs.RemoveAll, Notes: jobs.notes})
	if err != nil {
		return nil, fmt.Errorf("image store %s: %w", root, err)
	}
	return &imageStore{Store: st, jobs: jobs}, nil
}

func (s *imageStore) Close() {
	s.Store.Close()
	s.jobs.Close()
}

func (s *imageStore) env(p images.Progress) images.Env {
	return images.Env{Store: s.Store, Unpacker: s.jobs, Progress: p, Notes: s.jobs.note}
}

// lazyJobs starts the nsjob helper on first use.
type lazyJobs struct {
	ids   idPlan
	notes func(string)

	once sync.Once
	r    *nsjob.Runner
	err  error

	noteOnce sync.Once
	seen     sync.Map // notes already shown
}

func (l *lazyJobs) get() (*nsjob.Runner, error) {
	l.once.Do(func() {
		l.r, l.err = nsjob.Start(nsjob.IDs{Rootless: l.ids.Rootless, UIDs: l.ids.UIDs, GIDs: l.ids.GIDs,
			Helpers: l.ids.Helpers, SubUIDs: l.ids.SubUIDs, SubGIDs: l.ids.SubGIDs})
	})
	return l.r, l.err
}

// chown: with only the caller's id mapped, owners other than root cannot
// be kept; podman's ignore_chown_errors, said once.
func (l *lazyJobs) chown() bool {
	if l.ids.Rootless && l.ids.Helpers == nil {
		l.noteOnce.Do(func() {
			l.notes("the image's files all belong to root in the container: " + l.ids.Note)
		})
		return false
	}
	return true
}

func (l *lazyJobs) Unpack(blob, dir, name string) (images.Unpacked, error) {
	r, err := l.get()
	if err != nil {
		return images.Unpacked{}, err
	}
	res, err := r.Unpack(blob, dir, name, l.chown())
	if err != nil {
		return images.Unpacked{}, err
	}
	return images.Unpacked{DiffID: res.DiffID, Bytes: res.Bytes, Notes: res.Notes}, nil
}

// RemoveAll deletes a tree the container's ids may own: the caller's own
// permissions first, which suffice for most trees, then from inside the
// user namespace for what is left.
func (l *lazyJobs) RemoveAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil || !(errors.Is(err, fs.ErrPermission) || errors.Is(err, os.ErrExist)) {
		return err
	}
	r, err := l.get()
	if err != nil {
		return err
	}
	return r.RemoveAll(dir)
}

// note shows each distinct note once per command.
func (l *lazyJobs) note(s string) {
	if _, dup := l.seen.LoadOrStore(s, true); !dup {
		l.notes(s)
	}
}

func (l *lazyJobs) Close() {
	if l.r != nil {
		l.r.Close()
	}
}

// Flatten copies layers into dst inside the user namespace (the copy
// driver).
func (l *lazyJobs) Flatten(dst string, layers []string) error {
	r, err := l.get()
	if err != nil {
		return err
	}
	return r.Flatten(dst, layers)
}
