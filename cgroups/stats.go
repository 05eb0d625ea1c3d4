package cgroups

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stats is one sample of a cgroup's usage counters.
type Stats struct {
	CPUUsageUsec uint64 `json:"cpu_usage_usec"` // cpu.stat usage_usec
	MemoryUsage  uint64 `json:"memory_usage"`   // memory.current
	// MemoryLimit is memory.max, 0 when it is "max": Docker then shows the
	// host's memory (MemoryLimitOr).
	MemoryLimit uint64 `json:"memory_limit"`
	// MemoryInactiveFile is memory.stat's inactive_file, the page cache
	// `docker stats` leaves out of the usage it shows (MemoryUsed).
	MemoryInactiveFile uint64 `json:"memory_inactive_file"`
	Pids               uint64 `json:"pids"`       // pids.current
	PidsLimit          uint64 `json:"pids_limit"` // pids.max, 0 when it is "max"
	IORead             uint64 `json:"io_read"`    // io.stat rbytes, summed over devices
	IOWrite            uint64 `json:"io_write"`   // io.stat wbytes, summed over devices
}

// ReadStats reads the counters of the cgroup at dir. A file that is missing
// (its controller is not enabled there) leaves its counters zero; a missing
// dir is an error.
func ReadStats(dir string) (Stats, error) {
	var s Stats
	if _, err := os.Stat(dir); err != nil {
		return s, fmt.Errorf("read stats: %w", err)
	}
	if err := readKeyed(dir, "cpu.stat", func(k, v string) error {
		if k == "usage_usec" {
			return parseUint(&s.CPUUsageUsec, v)
		}
		return nil
	}); err != nil {
		return s, err
	}
	if err := readKeyed(dir, "memory.stat", func(k, v string) error {
		if k == "inactive_file" {
			return parseUint(&s.MemoryInactiveFile, v)
		}
		return nil
	}); err != nil {
		return s, err
	}
	for _, f := range []struct {
		name string
		dst  *uint64
	}{
		{"memory.current", &s.MemoryUsage},
		{"memory.max", &s.MemoryLimit},
		{"pids.current", &s.Pids},
		{"pids.max", &s.PidsLimit},
	} {
		if err := readSingle(dir, f.name, f.dst); err != nil {
			return s, err
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "io.stat"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("read stats: %w", err)
	}
	if s.IORead, s.IOWrite, err = parseIOStat(bytes.NewReader(b)); err != nil {
		return s, fmt.Errorf("read stats: %s: %w", filepath.Join(dir, "io.stat"), err)
	}
	return s, nil
}

// readSingle reads a one-value file; "max" reads as 0.
func readSingle(dir, name string, dst *uint64) error {
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read stats: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if v == "max" {
		*dst = 0
		return nil
	}
	if err := parseUint(dst, v); err != nil {
		return fmt.Errorf("read stats: %s: %w", p, err)
	}
	return nil
}

// readKeyed calls f for every "key value" line of a flat keyed file such as
// cpu.stat.
func readKeyed(dir, name string, f func(k, v string) error) error {
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read stats: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if err := f(k, strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("read stats: %s: %s: %w", p, k, err)
		}
	}
	return nil
}

func parseUint(dst *uint64, s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not a number: %q", s)
	}
	*dst = v
	return nil
}

// parseIOStat sums rbytes and wbytes over the devices of an io.stat file:
//
//	8:0 rbytes=90112 wbytes=0 rios=3 wios=0 dbytes=0 dios=0
func parseIOStat(r io.Reader) (read, written uint64, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || (k != "rbytes" && k != "wbytes") {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("device %s: %s is not a number: %q", f[0], k, v)
			}
			if k == "rbytes" {
				read += n
			} else {
				written += n
			}
		}
	}
	return read, written, sc.Err()
}

// MemoryLimitOr is the memory limit `docker stats` shows: memory.max, or the
// host's memory (MemTotal) when there is none.
func (s Stats) MemoryLimitOr(memTotal uint64) uint64 {
	if s.MemoryLimit == 0 || (memTotal > 0 && s.MemoryLimit > memTotal) {
		return memTotal
	}
	return s.MemoryLimit
}

// MemoryUsed is the usage `docker stats` shows on cgroup v2: memory.current
// without the inactive page cache, which the kernel reclaims first.
func (s Stats) MemoryUsed() uint64 {
	if s.MemoryInactiveFile < s.MemoryUsage {
		return s.MemoryUsage - s.MemoryInactiveFile
	}
	return s.MemoryUsage
}

// MemTotal reads MemTotal from procRoot/meminfo (procRoot is normally
// "/proc"), in bytes.
func MemTotal(procRoot string) (uint64, error) {
	f, err := os.Open(filepath.Join(procRoot, "meminfo"))
	if err != nil {
		return 0, fmt.Errorf("read host memory: %w", err)
	}
	defer f.Close()
	n, err := parseMemTotal(f)
	if err != nil {
		return 0, fmt.Errorf("read host memory: %s: %w", f.Name(), err)
	}
	return n, nil
}

// parseMemTotal finds "MemTotal:  16318272 kB" in a meminfo file.
func parseMemTotal(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("malformed MemTotal line %q", sc.Text())
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed MemTotal line %q", sc.Text())
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no MemTotal line")
}

// CPUPercent is `docker stats`' CPU %: the CPU time used between two samples
// over the wall time between them, so 2 busy CPUs read 200%. It stays within
// 0 and onlineCPUs×100 (when onlineCPUs > 0), which sampling jitter could
// otherwise cross; a counter that went backwards (a new cgroup) reads 0.
func CPUPercent(prev, cur Stats, elapsed time.Duration, onlineCPUs int) float64 {
	if elapsed <= 0 || cur.CPUUsageUsec <= prev.CPUUsageUsec {
		return 0
	}
	p := float64(cur.CPUUsageUsec-prev.CPUUsageUsec) / (elapsed.Seconds() * 1e6) * 100
	if onlineCPUs > 0 {
		p = min(p, float64(onlineCPUs)*100)
	}
	return p
}

// FormatBytes writes a size as `docker stats` does (go-units' BytesSize):
// powers of 1024, four significant digits: "512B", "12.5MiB", "1.944GiB".
func FormatBytes(b uint64) string {
	units := [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	size, i := float64(b), 0
	for size >= 1024 && i < len(units)-1 {
		size /= 1024
		i++
	}
	return strconv.FormatFloat(size, 'g', 4, 64) + units[i]
}
