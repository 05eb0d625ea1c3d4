package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"nook/state"
	"nook/store"
)

// Store is lifecycle/ under the image store's root.
type Store struct {
	Root string
}

// Open makes root (mode 0700) if needed.
func Open(root string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(root, "names"), 0o700); err != nil {
		return nil, fmt.Errorf("container records %s: %w", root, err)
	}
	return &Store{Root: root}, nil
}

func (s *Store) dir(id string) string        { return filepath.Join(s.Root, id) }
func (s *Store) namePath(name string) string { return filepath.Join(s.Root, "names", name) }

// LogPath is the container's log file.
func (s *Store) LogPath(id string) string { return filepath.Join(s.dir(id), "ctr.log") }

// ErrNameInUse is returned by Create and Rename for a name already taken.
var ErrNameInUse = errors.New("name in use")

// createdStatus is a new container's status.
var createdStatus = Status{State: Created}

// Create records a new container (status created), taking its name; Get
// would then read back Known(c, Created's status), which Fresh returns.
func (s *Store) Create(c Config) error {
	unlock, err := s.lockAll()
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.takeName(c.Name, c.ID); err != nil {
		return err
	}
	dir := s.dir(c.ID)
	err = os.Mkdir(dir, 0o700)
	if err == nil {
		err = writeJSON(filepath.Join(dir, "config.json"), c)
	}
	if err == nil {
		err = writeJSON(filepath.Join(dir, "status.json"), createdStatus)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		_ = os.Remove(s.namePath(c.Name))
		return fmt.Errorf("record container %s: %w", c.ID, err)
	}
	return nil
}

// nameInUse says who holds a name; it is ErrNameInUse.
type nameInUse struct{ name, owner string }

func (e nameInUse) Error() string {
	return fmt.Sprintf("the container name %q is already in use by container %s: remove or rename that container, or choose another name", e.name, e.owner)
}

func (e nameInUse) Is(target error) bool { return target == ErrNameInUse }

// takeName creates names/NAME holding id; the caller holds lockAll.
func (s *Store) takeName(name, id string) error {
	f, err := os.OpenFile(s.namePath(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		owner, _ := os.ReadFile(s.namePath(name))
		return nameInUse{name: name, owner: short(string(owner))}
	}
	if err != nil {
		return fmt.Errorf("take the name %q: %w", name, err)
	}
	_, err = f.WriteString(id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Rename gives container id the name to (from is its current one).
func (s *Store) Rename(id, from, to string) error {
	unlock, err := s.lockAll()
	if err != nil {
		return err
	}
	defer unlock()
	c, err := s.Get(id)
	if err != nil {
		return err
	}
	if err := s.takeName(to, id); err != nil {
		return err
	}
	c.Config.Name = to
	if err := writeJSON(filepath.Join(s.dir(id), "config.json"), c.Config); err != nil {
		_ = os.Remove(s.namePath(to))
		return err
	}
	_ = os.Remove(s.namePath(from))
	return nil
}

// Get reads container id's records, its status as it really is.
func (s *Store) Get(id string) (Container, error) {
	dir := s.dir(id)
	c := Container{Dir: dir}
	if err := readJSON(filepath.Join(dir, "config.json"), &c.Config); err != nil {
		return c, err
	}
	if err := readJSON(filepath.Join(dir, "status.json"), &c.Status); err != nil {
		return c, err
	}
	c.Status = actual(c.Status)
	return c, nil
}

// Known is the container whose records are c and st, as Get would read
// them back, for a process that was handed them.
func (s *Store) Known(c Config, st Status) Container {
	return Container{Config: c, Status: st, Dir: s.dir(c.ID)}
}

// Fresh is the container Create just recorded from c, without reading
// it back.
func (s *Store) Fresh(c Config) Container { return s.Known(c, createdStatus) }

// List reads every container, newest first. A container whose records
// cannot be read (being created or removed right now) is left out.
func (s *Store) List() ([]Container, error) {
	entries, err := os.ReadDir(s.Root)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Root, err)
	}
	var out []Container
	for _, e := range entries {
		if !isID(e.Name()) {
			continue
		}
		if c, err := s.Get(e.Name()); err == nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// WriteStatus replaces container id's status.
func (s *Store) WriteStatus(id string, st Status) error {
	return writeJSON(filepath.Join(s.dir(id), "status.json"), st)
}

// Remove deletes container id's records and gives its name back.
func (s *Store) Remove(c Container) error {
	unlock, err := s.lockAll()
	if err != nil {
		return err
	}
	defer unlock()
	if owner, err := os.ReadFile(s.namePath(c.Name)); err == nil && string(owner) == c.ID {
		_ = os.Remove(s.namePath(c.Name))
	}
	if err := os.RemoveAll(s.dir(c.ID)); err != nil {
		return fmt.Errorf("remove the records of container %s: %w", short(c.ID), err)
	}
	return nil
}

// Lock takes container id's lock: whoever starts, stops or removes it
// holds it meanwhile. It waits for another holder.
func (s *Store) Lock(id string) (func(), error) {
	return store.LockPath(filepath.Join(s.dir(id), "lock"))
}

func (s *Store) lockAll() (func(), error) {
	return store.LockPath(filepath.Join(s.Root, "lock"))
}

func isID(s string) bool {
	if len(s) != 64 {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return state.WriteAtomic(path, b)
}

// UpdateConfig changes container id's config with change, under the
// names lock (a rename meanwhile is not lost).
func (s *Store) UpdateConfig(id string, change func(*Config)) error {
	unlock, err := s.lockAll()
	if err != nil {
		return err
	}
	defer unlock()
	c, err := s.Get(id)
	if err != nil {
		return err
	}
	change(&c.Config)
	return writeJSON(filepath.Join(s.dir(id), "config.json"), c.Config)
}
