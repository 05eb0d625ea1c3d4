// Command fakesystemd stands in for systemd's user manager in the VM tests
// (e2e/systemd_vm_test.go), where no systemd runs: it owns
// org.freedesktop.systemd1 on the session bus ($DBUS_SESSION_BUS_ADDRESS)
// and answers Manager.StartTransientUnit for scopes the way systemd does for
// nook's systemd cgroup manager (go-systemd's StartTransientUnitContext):
//
//   - the scope's cgroup is made in <slice> (Slice=, default app.slice) under
//     the manager's own cgroup: the user@UID.service above the cgroup
//     fakesystemd runs in (a session scope in the VM);
//   - with Delegate=true the controllers of user@UID.service are enabled in
//     its cgroup.subtree_control and the slice's, so the scope has them all;
//   - the PIDs are moved into the scope, then JobRemoved(id, job, unit,
//     result) is emitted, with result "done" (or -result, which then
//     creates nothing, as a failed start);
//   - the scope's cgroup is removed, with its children, once it is empty
//     (CollectMode=inactive-or-failed), and the unit forgotten.
//
// Every call and every collected scope is a JSON line in -record. On SIGTERM
// it disables the controllers it enabled and exits. It prints "ready" once
// it owns the name.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	busName = "org.freedesktop.systemd1"
	objPath = dbus.ObjectPath("/org/freedesktop/systemd1")
	iface   = "org.freedesktop.systemd1.Manager"
)

// property is one (sv) of StartTransientUnit's properties.
type property struct {
	Name  string
	Value dbus.Variant
}

// auxUnit is one (sa(sv)) of its auxiliary units.
type auxUnit struct {
	Name       string
	Properties []property
}

// Record is one line of the -record file.
type Record struct {
	Call       string         `json:"call,omitempty"`
	Event      string         `json:"event,omitempty"`
	Unit       string         `json:"unit"`
	Mode       string         `json:"mode,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
	Aux        int            `json:"aux,omitempty"`
	Result     string         `json:"result,omitempty"`
	Cgroup     string         `json:"cgroup,omitempty"`
	Error      string         `json:"error,omitempty"`
}

type manager struct {
	conn    *dbus.Conn
	service string // the manager's cgroup directory
	result  string
	record  *os.File

	mu      sync.Mutex
	jobs    uint32
	units   map[string]bool
	enabled [][2]string // (subtree_control file, controller) it enabled, in order
}

func main() {
	record := flag.String("record", "", "append a JSON line per call and event to `FILE`")
	result := flag.String("result", "done", "the `RESULT` of every job (anything but done: no scope is made)")
	root := flag.String("cgroup-root", "/sys/fs/cgroup", "where cgroup2 is mounted")
	flag.Parse()
	if *record == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*record, *result, *root); err != nil {
		fmt.Fprintf(os.Stderr, "fakesystemd: %v\n", err)
		os.Exit(1)
	}
}

func run(record, result, root string) error {
	own, err := ownCgroup()
	if err != nil {
		return err
	}
	rec, err := os.OpenFile(record, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer rec.Close()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return err
	}
	defer conn.Close()
	m := &manager{conn: conn, service: userService(filepath.Join(root, own)), result: result,
		record: rec, units: map[string]bool{}}
	if err := conn.Export(m, objPath, iface); err != nil {
		return err
	}
	reply, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return err
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("%s is taken (reply %d)", busName, reply)
	}
	fmt.Println("ready")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
	m.restore()
	return nil
}

// ownCgroup is the cgroup v2 path of this process.
func ownCgroup() (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return p, nil
		}
	}
	return "", errors.New("no cgroup v2 line in /proc/self/cgroup")
}

// userService is the user@UID.service cgroup dir lies in (or dir's
// parent, outside one), the cgroup a real user manager owns.
func userService(dir string) string {
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		if b := filepath.Base(d); strings.HasPrefix(b, "user@") && strings.HasSuffix(b, ".service") {
			return d
		}
	}
	return filepath.Dir(dir)
}

func (m *manager) write(r Record) {
	b, _ := json.Marshal(r)
	m.record.Write(append(b, '\n'))
}

// StartTransientUnit is org.freedesktop.systemd1.Manager's, for scopes.
func (m *manager) StartTransientUnit(name, mode string, props []property, aux []auxUnit) (dbus.ObjectPath, *dbus.Error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := Record{Call: "StartTransientUnit", Unit: name, Mode: mode, Properties: map[string]any{}, Aux: len(aux)}
	for _, p := range props {
		r.Properties[p.Name] = p.Value.Value()
	}
	m.write(r)
	switch {
	case !strings.HasSuffix(name, ".scope") || strings.Contains(name, "/"):
		return "", dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"not a scope: " + name})
	case mode != "fail" && mode != "replace":
		return "", dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"unknown mode " + mode})
	case m.units[name]:
		return "", dbus.NewError("org.freedesktop.systemd1.UnitExists", []any{"Unit " + name + " was already loaded or has a fragment file."})
	}
	slice, _ := r.Properties["Slice"].(string)
	if slice == "" {
		slice = "app.slice"
	}
	pids, _ := r.Properties["PIDs"].([]uint32)
	delegate, _ := r.Properties["Delegate"].(bool)

	m.jobs++
	id := m.jobs
	job := dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/systemd1/job/%d", id))
	result := m.result
	if result == "done" {
		dir, err := m.startScope(slice, name, pids, delegate)
		if err != nil {
			m.write(Record{Event: "failed", Unit: name, Error: err.Error()})
			result = "failed"
		} else {
			m.units[name] = true
			go m.collect(name, dir)
		}
	}
	// After the reply, as systemd's job runs from its event loop.
	go func() {
		time.Sleep(time.Millisecond)
		m.conn.Emit(objPath, iface+".JobRemoved", id, job, name, result)
	}()
	return job, nil
}

func (m *manager) startScope(slice, name string, pids []uint32, delegate bool) (string, error) {
	sliceDir := filepath.Join(m.service, slice)
	if err := os.Mkdir(sliceDir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	if delegate {
		b, err := os.ReadFile(filepath.Join(m.service, "cgroup.controllers"))
		if err != nil {
			return "", err
		}
		for _, d := range []string{m.service, sliceDir} {
			m.enable(d, strings.Fields(string(b)))
		}
	}
	dir := filepath.Join(sliceDir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	for _, pid := range pids {
		if err := writeFile(filepath.Join(dir, "cgroup.procs"), strconv.FormatUint(uint64(pid), 10)); err != nil {
			syscall.Rmdir(dir)
			return "", err
		}
	}
	return dir, nil
}

// enable enables the controllers in dir's cgroup.subtree_control that are
// not yet, remembering them for restore. One the kernel refuses is left
// out: cpuset in the VM, where the test user may not move root's processes
// in init.scope to new cpusets.
func (m *manager) enable(dir string, controllers []string) {
	file := filepath.Join(dir, "cgroup.subtree_control")
	b, err := os.ReadFile(file)
	if err != nil {
		return
	}
	have := strings.Fields(string(b))
	for _, c := range controllers {
		if slices.Contains(have, c) {
			continue
		}
		if err := writeFile(file, "+"+c); err != nil {
			m.write(Record{Event: "not enabled", Cgroup: dir, Error: "+" + c + ": " + err.Error()})
			continue
		}
		m.enabled = append(m.enabled, [2]string{file, c})
	}
}

// restore disables what enable enabled, last first, as far as it can.
func (m *manager) restore() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.enabled) - 1; i >= 0; i-- {
		writeFile(m.enabled[i][0], "-"+m.enabled[i][1])
	}
}

// collect removes the scope's cgroup once it is empty.
func (m *manager) collect(name, dir string) {
	events := filepath.Join(dir, "cgroup.events")
	for {
		b, err := os.ReadFile(events)
		if err != nil {
			break // gone
		}
		if strings.Contains(string(b), "populated 0") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	err := removeTree(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	r := Record{Event: "collected", Unit: name, Cgroup: dir}
	if err != nil {
		r.Error = err.Error()
	}
	m.write(r)
	delete(m.units, name)
}

// removeTree removes the cgroup dir and those below it.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	for i := 0; ; i++ {
		err := syscall.Rmdir(dir)
		// Exiting processes leave a cgroup a moment after cgroup.procs.
		if err == syscall.EBUSY && i < 100 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err != nil && err != syscall.ENOENT {
			return &fs.PathError{Op: "rmdir", Path: dir, Err: err}
		}
		return nil
	}
}

func writeFile(name, value string) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
