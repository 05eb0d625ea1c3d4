package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/alecthomas/kong"
	"nook/cgroups"
)

// resources are the cgroup flags, with Docker's and podman's names.
type resources struct {
	Memory            string   `short:"m" placeholder:"SIZE" help:"Memory limit (e.g. 512m)."`
	MemorySwap        swapFlag `placeholder:"SIZE" help:"Memory plus swap limit (-1: unlimited swap)."`
	MemoryReservation string   `placeholder:"SIZE" help:"Memory soft limit."`
	Cpus              string   `placeholder:"N" help:"CPUs the container may use (e.g. 1.5)."`
	CPUShares         uint64   `name:"cpu-shares" placeholder:"N" help:"CPU shares, Docker's relative weight (2-262144)."`
	CPUWeight         uint64   `name:"cpu-weight" placeholder:"N" help:"CPU weight, cgroup v2's relative weight (1-10000)."`
	CpusetCpus        string   `name:"cpuset-cpus" placeholder:"LIST" help:"CPUs to run on (e.g. 0-1,3)."`
	PidsLimit         pidsFlag `placeholder:"N" help:"Maximum number of processes (-1: unlimited)."`
	IOWeight          uint64   `name:"io-weight" placeholder:"N" help:"Block I/O weight (1-10000)."`
	CgroupParent      string   `placeholder:"PATH" help:"Cgroup to create the container's cgroup in (relative: below your delegated cgroup; a slice such as nook.slice with the systemd manager)."`
	CgroupManager     string   `name:"cgroup-manager" placeholder:"MANAGER" help:"systemd (a transient scope from your systemd user manager; the default when its bus is at $XDG_RUNTIME_DIR/bus) or cgroupfs (nook writes the cgroup files itself)."`
	Cgroups           string   `default:"enabled" enum:"enabled,disabled" help:"enabled: a cgroup per container where the host delegates one; disabled: none."`
	CgroupnsRW        bool     `name:"cgroupns-rw" help:"Mount the container's cgroup read-write at /sys/fs/cgroup."`
}

// swapFlag and pidsFlag take Docker's -1 ("unlimited") as a word of its
// own, as in `--pids-limit -1`, which kong would take for a short flag.
type (
	swapFlag string
	pidsFlag int64
)

func (v *swapFlag) Decode(ctx *kong.DecodeContext) error {
	s, err := popMinusOne(ctx, "string")
	*v = swapFlag(s)
	return err
}

func (v *pidsFlag) Decode(ctx *kong.DecodeContext) error {
	s, err := popMinusOne(ctx, "int")
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("expected a valid 64 bit int but got %q", s)
	}
	*v = pidsFlag(n)
	return nil
}

// popMinusOne pops the flag's value: "-1", or what kong takes for a value.
func popMinusOne(ctx *kong.DecodeContext, kind string) (string, error) {
	if t := ctx.Scan.Peek(); t.Type == kong.UntypedToken && t.Value == "-1" {
		ctx.Scan.Pop()
		return "-1", nil
	}
	t, err := ctx.Scan.PopValue(kind)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(t.Value), nil
}

// limits parses the flags strictly.
func (r *resources) limits() (cgroups.Limits, error) {
	var l cgroups.Limits
	var err error
	size := func(flag, v string, dst *int64) {
		if err != nil || v == "" {
			return
		}
		if flag == "--memory-swap" && v == "-1" {
			*dst = -1
			return
		}
		if *dst, err = cgroups.ParseSize(v); err != nil {
			err = fmt.Errorf("%s: %w", flag, err)
		}
	}
	size("--memory", r.Memory, &l.MemoryMax)
	size("--memory-swap", string(r.MemorySwap), &l.MemorySwap)
	size("--memory-reservation", r.MemoryReservation, &l.MemoryLow)
	if err != nil {
		return l, err
	}
	if err := r.cpuLimits(&l); err != nil {
		return l, err
	}
	l.PidsMax, l.IOWeight = int64(r.PidsLimit), r.IOWeight
	return l, l.Validate()
}

func (r *resources) cpuLimits(l *cgroups.Limits) error {
	online := runtime.NumCPU()
	var err error
	if r.Cpus != "" {
		if l.CPUQuota, l.CPUPeriod, err = cgroups.ParseCPUs(r.Cpus, online); err != nil {
			return fmt.Errorf("--cpus: %w", err)
		}
	}
	if r.CPUShares != 0 && r.CPUWeight != 0 {
		return errors.New("--cpu-shares and --cpu-weight say the same thing: give one of them")
	}
	l.CPUWeight = r.CPUWeight
	if r.CPUShares != 0 {
		if l.CPUWeight, err = cgroups.SharesToWeight(r.CPUShares); err != nil {
			return fmt.Errorf("--cpu-shares: %w", err)
		}
	}
	if r.CpusetCpus != "" {
		if l.CPUSetCPUs, err = cgroups.ParseCPUSet(r.CpusetCpus, online); err != nil {
			return fmt.Errorf("--cpuset-cpus: %w", err)
		}
	}
	return nil
}

// cgroup makes the container's cgroup, or none: with --cgroups=disabled,
// or when the host delegates none and no limit was asked for (no error, no
// warning, as on this cgroup v1 host). A limit the host cannot honour is an
// error before anything starts.
func (r *resources) cgroup(id string) (*cgroups.Cgroup, error) {
	l, err := r.limits()
	if err != nil {
		return nil, err
	}
	switch r.CgroupManager {
	case "", "systemd", "cgroupfs":
	default:
		return nil, usage(fmt.Sprintf("--cgroup-manager must be systemd or cgroupfs, not %q", r.CgroupManager))
	}
	asked := !l.IsZero() || r.CgroupParent != ""
	if r.Cgroups == "disabled" {
		if asked || r.CgroupManager != "" {
			return nil, errors.New("resource limits, --cgroup-parent and --cgroup-manager need a cgroup: drop --cgroups=disabled")
		}
		return nil, nil
	}
	// Most hosts without a unified hierarchy at the usual place are the
	// ones that cannot give a cgroup anyway: one stat keeps the start path
	// short there when nothing was asked for.
	if !asked && r.CgroupManager != "systemd" && !unifiedAtSysFs() {
		return nil, nil
	}
	h, err := cgroups.Discover("/proc", os.Getenv("XDG_RUNTIME_DIR"))
	if err != nil {
		if asked || r.CgroupManager == "systemd" {
			return nil, err
		}
		return nil, nil
	}
	if r.manager(h) == "systemd" {
		cg, err := cgroups.CreateScope(h, r.CgroupParent, id, l)
		// Chosen only for the bus socket, systemd may not be behind it:
		// then as without one.
		if err == nil || r.CgroupManager == "systemd" || !errors.Is(err, cgroups.ErrNoUserManager) {
			return cg, err
		}
	}
	if err := cgroups.CheckLimits(h, l); err != nil {
		return nil, err
	}
	if h.Writable == "" && !asked {
		return nil, nil
	}
	cgroups.Sweep(h)
	return cgroups.Create(h, r.CgroupParent, id, l)
}

// manager is the cgroup manager to use: --cgroup-manager, else systemd
// where its user bus is at $XDG_RUNTIME_DIR/bus on a cgroup v2 host (unless
// --cgroup-parent names a cgroup path, which is cgroupfs's), else cgroupfs.
func (r *resources) manager(h cgroups.Host) string {
	switch {
	case r.CgroupManager != "":
		return r.CgroupManager
	case h.SystemdUserBus && h.Version == cgroups.V2 && (r.CgroupParent == "" || cgroups.IsSlice(r.CgroupParent)):
		return "systemd"
	}
	return "cgroupfs"
}

func unifiedAtSysFs() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}
