// Package rootfs keeps the root filesystems of containers made from images,
// under the image store: $store/containers/<id>/ with container.json (the
// record), and upper/, work/ and merged/ for the overlay driver or rootfs/
// for the copy driver. The records are what keeps an image's layers from
// being pruned while a container uses them.
package rootfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"nook/mounts"
	"nook/store"
)

// Drivers.
const (
	Overlay = "overlay" // kernel overlayfs in the user namespace
	Copy    = "copy"    // the layers flattened into one directory
)

// Record is container.json.
type Record struct {
	ID      string         `json:"id"`
	Image   store.Digest   `json:"image"`
	Name    string         `json:"imageName,omitempty"`
	Layers  []store.Digest `json:"layers"` // chain IDs, bottom first
	Driver  string         `json:"driver"`
	Created time.Time      `json:"created"`
	// From the image's config, for the lifecycle commands: the signal
	// `stop` sends, the labels `ps --filter` matches, the ports -P
	// publishes.
	StopSignal   string            `json:"stopSignal,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
}

// Rootfs is one container's root filesystem.
type Rootfs struct {
	Record
	Dir string // $store/containers/<id>
}

// Dir is where the containers' directories are.
func Dir(st *store.Store) string { return filepath.Join(st.Root, "containers") }

// Flattener builds dst from layer directories, bottom first (nsjob).
type Flattener func(dst string, layers []string) error

// Create makes the root filesystem of container rec.ID (rec.Driver, with
// rec's name and config fields filled in by the caller) from img. The record is
// written first, under a Hold, so a concurrent prune either finished
// before (and the layers checked below are there) or sees the record.
func Create(st *store.Store, rec Record, img store.Image, flatten Flattener) (*Rootfs, error) {
	release, err := st.Hold()
	if err != nil {
		return nil, err
	}
	defer release()
	rec.Image, rec.Created = img.Digest, time.Now().UTC()
	r := &Rootfs{Dir: filepath.Join(Dir(st), rec.ID), Record: rec}
	for _, l := range img.Layers {
		if !st.HasLayer(l.ChainID) {
			return nil, fmt.Errorf("image %s: layer %s is missing from the store: pull the image again", img.Digest, l.ChainID)
		}
		r.Layers = append(r.Layers, l.ChainID)
	}
	if err := os.Mkdir(Dir(st), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create %s: %w", Dir(st), err)
	}
	if err := os.Mkdir(r.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create container directory: %w", err)
	}
	if r.Driver == Copy {
		// The image's files are copied in: spread them over block groups
		// of their own, as layers are (store.SpreadSubdirs). Not every
		// container directory: on ext4 a spread directory's creation scans
		// the groups, 0.1–1 ms on a container's start.
		store.SpreadSubdirs(r.Dir)
	}
	if err := r.populate(st, flatten); err != nil {
		os.RemoveAll(r.Dir)
		return nil, err
	}
	return r, nil
}

func (r *Rootfs) populate(st *store.Store, flatten Flattener) error {
	if err := writeRecord(r.Dir, r.Record); err != nil {
		return err
	}
	dirs := []string{"upper", "work", "merged"}
	if r.Driver == Copy {
		dirs = []string{"rootfs"}
	}
	for _, d := range dirs {
		// 0755: the upper dir's mode becomes the container's "/".
		if err := os.Mkdir(filepath.Join(r.Dir, d), 0o755); err != nil {
			return fmt.Errorf("create container directory: %w", err)
		}
	}
	if r.Driver != Copy {
		return nil
	}
	var lower []string
	for _, c := range r.Layers {
		lower = append(lower, st.LayerDir(c))
	}
	if err := flatten(r.Path(), lower); err != nil {
		return fmt.Errorf("copy the image's layers: %w", err)
	}
	return nil
}

// Path is the directory that becomes the container's "/".
func (r *Rootfs) Path() string {
	if r.Driver == Copy {
		return filepath.Join(r.Dir, "rootfs")
	}
	return filepath.Join(r.Dir, "merged")
}

// Overlay is the overlay to mount at Path (nil for the copy driver).
func (r *Rootfs) Overlay(st *store.Store) *mounts.Overlay {
	if r.Driver == Copy {
		return nil
	}
	o := &mounts.Overlay{Upper: filepath.Join(r.Dir, "upper"), Work: filepath.Join(r.Dir, "work")}
	for i := len(r.Layers) - 1; i >= 0; i-- {
		o.Lower = append(o.Lower, st.LayerDir(r.Layers[i]))
	}
	return o
}

// Remove deletes the container's root filesystem with remove (which can
// delete files of the container's ids), the record last, so an interrupted
// removal still has a record to be found and finished by.
func Remove(st *store.Store, id string, remove func(string) error) error {
	dir := filepath.Join(Dir(st), id)
	for _, d := range []string{"upper", "work", "merged", "rootfs"} {
		p := filepath.Join(dir, d)
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := remove(p); err != nil {
			return fmt.Errorf("remove container %s: %w", id, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

// List reads every container record.
func List(st *store.Store) ([]Record, error) {
	ents, err := os.ReadDir(Dir(st))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []Record
	for _, e := range ents {
		rec, err := readRecord(filepath.Join(Dir(st), e.Name()))
		if err != nil {
			continue // being created or removed
		}
		out = append(out, rec)
	}
	return out, nil
}

// LayersInUse is what Prune must keep for containers.
func LayersInUse(recs []Record) func(store.Digest) bool {
	used := map[store.Digest]bool{}
	for _, r := range recs {
		for _, l := range r.Layers {
			used[l] = true
		}
	}
	return func(d store.Digest) bool { return used[d] }
}

func writeRecord(dir string, rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".container.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write container record: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "container.json")); err != nil {
		return fmt.Errorf("write container record: %w", err)
	}
	return nil
}

func readRecord(dir string) (Record, error) {
	var rec Record
	b, err := os.ReadFile(filepath.Join(dir, "container.json"))
	if err != nil {
		return rec, err
	}
	return rec, json.Unmarshal(b, &rec)
}

// Open is the root filesystem container id already has (a stopped
// container started again keeps its changes).
func Open(st *store.Store, id string) (*Rootfs, error) {
	dir := filepath.Join(Dir(st), id)
	rec, err := readRecord(dir)
	if err != nil {
		return nil, err
	}
	return &Rootfs{Record: rec, Dir: dir}, nil
}
