package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"nook/cgroups"
)

// resources are the cgroup flags, with Docker's and podman's names.
type resources struct {
	Memory            string `short:"m" placeholder:"SIZE" help:"Memory limit (e.g. 512m)."`
	MemorySwap        string `placeholder:"SIZE" help:"Memory plus swap limit (-1: unlimited swap)."`
	MemoryReservation string `placeholder:"SIZE" help:"Memory soft limit."`
	Cpus              string `placeholder:"N" help:"CPUs the container may use (e.g. 1.5)."`
	CPUShares         uint64 `name:"cpu-shares" placeholder:"N" help:"CPU shares, Docker's relative weight (2-262144)."`
	CPUWeight         uint64 `name:"cpu-weight" placeholder:"N" help:"CPU weight, cgroup v2's relative weight (1-10000)."`
	CpusetCpus        string `name:"cpuset-cpus" placeholder:"LIST" help:"CPUs to run on (e.g. 0-1,3)."`
	PidsLimit         int64  `placeholder:"N" help:"Maximum number of processes (-1: unlimited)."`
	IOWeight          uint64 `name:"io-weight" placeholder:"N" help:"Block I/O weight (1-10000)."`
	CgroupParent      string `placeholder:"PATH" help:"Cgroup to create the container's cgroup in (relative: below your delegated cgroup)."`
	Cgroups           string `default:"enabled" enum:"enabled,disabled" help:"enabled: a cgroup per container where the host delegates one; disabled: none."`
	CgroupnsRW        bool   `name:"cgroupns-rw" help:"Mount the container's cgroup read-write at /sys/fs/cgroup."`
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
	size("--memory-swap", r.MemorySwap, &l.MemorySwap)
	size("--memory-reservation", r.MemoryReservation, &l.MemoryLow)
	if err != nil {
		return l, err
	}
	if err := r.cpuLimits(&l); err != nil {
		return l, err
	}
	l.PidsMax, l.IOWeight = r.PidsLimit, r.IOWeight
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
	asked := !l.IsZero() || r.CgroupParent != ""
	if r.Cgroups == "disabled" {
		if asked {
			return nil, errors.New("resource limits and --cgroup-parent need a cgroup: drop --cgroups=disabled")
		}
		return nil, nil
	}
	// Most hosts without a unified hierarchy at the usual place are the
	// ones that cannot give a cgroup anyway: one stat keeps the start path
	// short there when nothing was asked for.
	if !asked && !unifiedAtSysFs() {
		return nil, nil
	}
	h, err := cgroups.Discover("/proc", os.Getenv("XDG_RUNTIME_DIR"))
	if err != nil {
		if asked {
			return nil, err
		}
		return nil, nil
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

func unifiedAtSysFs() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}
