package cgroups

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Limits are a container's resource limits with Docker's meanings. The zero
// value sets none.
type Limits struct {
	MemoryMax int64 // bytes, 0 = unset (--memory / -m)
	// MemorySwap is Docker's --memory-swap: memory plus swap; -1 unlimited
	// swap; 0 unset, which gives as much swap as MemoryMax (Docker's rule).
	MemorySwap int64
	MemoryLow  int64  // bytes, 0 = unset (--memory-reservation)
	CPUQuota   int64  // µs per CPUPeriod; 0 = unset (--cpus 1.5 → 150000 per 100000)
	CPUPeriod  int64  // µs; 0 = the kernel's default, 100000
	CPUWeight  uint64 // 1..10000; 0 = unset (--cpu-weight, or --cpu-shares converted)
	CPUSetCPUs string // --cpuset-cpus "0-1,3"
	PidsMax    int64  // --pids-limit: >0 a limit, -1 unlimited, 0 unset
	IOWeight   uint64 // --io-weight 1..10000
}

// File is one cgroup interface file and the value to write to it.
type File struct{ Name, Value string }

const (
	// minMemory is Docker's smallest --memory and --memory-reservation.
	minMemory = 6 << 20
	// defaultCPUPeriod is the kernel's and Docker's cpu.max period.
	defaultCPUPeriod = 100000
	// minCPUQuota is Docker's smallest quota (1 ms, i.e. --cpus 0.01).
	minCPUQuota = 1000
	// maxPids is the largest pids.max the kernel takes (PID_MAX_LIMIT).
	maxPids   = 4 << 20
	maxWeight = 10000
)

// IsZero is whether no limit is set.
func (l Limits) IsZero() bool { return l == Limits{} }

// Controllers are the cgroup v2 controllers the set limits need, in the
// order memory, cpu, cpuset, pids, io.
func (l Limits) Controllers() []string {
	var cs []string
	if l.MemoryMax != 0 || l.MemorySwap != 0 || l.MemoryLow != 0 {
		cs = append(cs, "memory")
	}
	if l.CPUQuota != 0 || l.CPUPeriod != 0 || l.CPUWeight != 0 {
		cs = append(cs, "cpu")
	}
	if l.CPUSetCPUs != "" {
		cs = append(cs, "cpuset")
	}
	if l.PidsMax != 0 {
		cs = append(cs, "pids")
	}
	if l.IOWeight != 0 {
		cs = append(cs, "io")
	}
	return cs
}

// flags names the options that set each controller's limits, for messages.
func (l Limits) flags(controller string) []string {
	var fs []string
	add := func(set bool, flag string) {
		if set {
			fs = append(fs, flag)
		}
	}
	switch controller {
	case "memory":
		add(l.MemoryMax != 0, "--memory")
		add(l.MemorySwap != 0, "--memory-swap")
		add(l.MemoryLow != 0, "--memory-reservation")
	case "cpu":
		add(l.CPUQuota != 0 || l.CPUPeriod != 0, "--cpus")
		add(l.CPUWeight != 0, "--cpu-shares/--cpu-weight")
	case "cpuset":
		add(l.CPUSetCPUs != "", "--cpuset-cpus")
	case "pids":
		add(l.PidsMax != 0, "--pids-limit")
	case "io":
		add(l.IOWeight != 0, "--io-weight")
	}
	return fs
}

// Files are the interface files to write in the container's cgroup, in a
// fixed order. memory.swap.max is the swap alone: Docker's memory+swap total
// minus the memory limit.
func (l Limits) Files() []File {
	var fs []File
	add := func(name, value string) { fs = append(fs, File{name, value}) }
	if l.MemoryMax > 0 {
		add("memory.max", strconv.FormatInt(l.MemoryMax, 10))
	}
	switch {
	case l.MemorySwap == -1:
		add("memory.swap.max", "max")
	case l.MemorySwap > 0:
		add("memory.swap.max", strconv.FormatInt(max(l.MemorySwap-l.MemoryMax, 0), 10))
	case l.MemoryMax > 0:
		add("memory.swap.max", strconv.FormatInt(l.MemoryMax, 10))
	}
	if l.MemoryLow > 0 {
		add("memory.low", strconv.FormatInt(l.MemoryLow, 10))
	}
	if l.CPUQuota != 0 || l.CPUPeriod != 0 {
		quota := "max"
		if l.CPUQuota > 0 {
			quota = strconv.FormatInt(l.CPUQuota, 10)
		}
		period := l.CPUPeriod
		if period == 0 {
			period = defaultCPUPeriod
		}
		add("cpu.max", quota+" "+strconv.FormatInt(period, 10))
	}
	if l.CPUWeight != 0 {
		add("cpu.weight", strconv.FormatUint(l.CPUWeight, 10))
	}
	if l.CPUSetCPUs != "" {
		add("cpuset.cpus", l.CPUSetCPUs)
	}
	switch {
	case l.PidsMax == -1:
		add("pids.max", "max")
	case l.PidsMax > 0:
		add("pids.max", strconv.FormatInt(l.PidsMax, 10))
	}
	if l.IOWeight != 0 {
		add("io.weight", "default "+strconv.FormatUint(l.IOWeight, 10))
	}
	return fs
}

// impliedSwap is whether memory.swap.max only follows from --memory (Docker's
// "as much swap as memory"), so a host without swap accounting may skip it.
func (l Limits) impliedSwap() bool { return l.MemorySwap == 0 }

// Validate applies Docker's rules across the values.
func (l Limits) Validate() error {
	switch {
	case l.MemoryMax < 0:
		return fmt.Errorf("--memory %d is negative: give a size such as 512m", l.MemoryMax)
	case l.MemoryMax > 0 && l.MemoryMax < minMemory:
		return fmt.Errorf("--memory %s is below the minimum memory limit allowed, 6MiB: give at least 6m", FormatBytes(uint64(l.MemoryMax)))
	case l.MemorySwap < -1:
		return fmt.Errorf("--memory-swap %d is invalid: give a size, or -1 for unlimited swap", l.MemorySwap)
	case l.MemorySwap > 0 && l.MemoryMax == 0:
		return errors.New("--memory-swap needs --memory: it is the total of memory and swap (e.g. --memory 512m --memory-swap 1g)")
	case l.MemorySwap > 0 && l.MemorySwap < l.MemoryMax:
		return fmt.Errorf("--memory-swap %s is smaller than --memory %s: it is the total of memory and swap, so give at least %s (or -1 for unlimited swap)",
			FormatBytes(uint64(l.MemorySwap)), FormatBytes(uint64(l.MemoryMax)), FormatBytes(uint64(l.MemoryMax)))
	case l.MemoryLow < 0:
		return fmt.Errorf("--memory-reservation %d is negative: give a size such as 256m", l.MemoryLow)
	case l.MemoryLow > 0 && l.MemoryLow < minMemory:
		return fmt.Errorf("--memory-reservation %s is below the minimum memory reservation allowed, 6MiB: give at least 6m", FormatBytes(uint64(l.MemoryLow)))
	case l.MemoryMax > 0 && l.MemoryLow > l.MemoryMax:
		return fmt.Errorf("--memory-reservation %s is larger than --memory %s: the reservation must not exceed the limit",
			FormatBytes(uint64(l.MemoryLow)), FormatBytes(uint64(l.MemoryMax)))
	case l.CPUQuota < 0 || (l.CPUQuota > 0 && l.CPUQuota < minCPUQuota):
		return fmt.Errorf("--cpus: a CPU quota of %dµs is below the minimum of 1000µs: give at least --cpus 0.01", l.CPUQuota)
	case l.CPUPeriod != 0 && (l.CPUPeriod < 1000 || l.CPUPeriod > 1000000):
		return fmt.Errorf("CPU period %dµs is out of range: use 1000 to 1000000", l.CPUPeriod)
	case l.CPUWeight > maxWeight:
		return fmt.Errorf("--cpu-weight %d is out of range: use 1 to 10000", l.CPUWeight)
	case l.PidsMax < -1:
		return fmt.Errorf("--pids-limit %d is invalid: give a positive number, or -1 for unlimited", l.PidsMax)
	case l.PidsMax > maxPids:
		return fmt.Errorf("--pids-limit %d is above the kernel's maximum %d: give a smaller number, or -1 for unlimited", l.PidsMax, maxPids)
	case l.IOWeight > maxWeight:
		return fmt.Errorf("--io-weight %d is out of range: use 1 to 10000", l.IOWeight)
	}
	if l.CPUSetCPUs != "" {
		if _, err := ParseCPUSet(l.CPUSetCPUs, math.MaxInt); err != nil {
			return fmt.Errorf("--cpuset-cpus: %w", err)
		}
	}
	return nil
}

// ParseSize parses a size with Docker's units (powers of 1024): "512m",
// "1.5g", "100k", "10b", "1024" (bytes). The unit may also be written as
// "mb" or "MiB". Fractions of a byte are dropped.
func ParseSize(s string) (int64, error) {
	num, unit := splitNumber(s)
	if !isDecimal(num) {
		return 0, badSize(s)
	}
	mult := 1.0
	switch strings.ToLower(unit) {
	case "", "b":
	case "k", "kb", "kib":
		mult = 1 << 10
	case "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	default:
		return 0, badSize(s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, badSize(s)
	}
	v := f * mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	if mult == 1 && v != math.Trunc(v) {
		return 0, fmt.Errorf("invalid size %q: a number of bytes is whole (e.g. 1024, or 1.5k)", s)
	}
	return int64(v), nil
}

func badSize(s string) error {
	return fmt.Errorf("invalid size %q: use a number with an optional unit b, k, m, g (e.g. 512m)", s)
}

// splitNumber splits s into its leading digits and dots and the rest.
func splitNumber(s string) (num, rest string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], s[i:]
}

// isDecimal is whether s is digits with at most one inner dot: "1", "1.5".
func isDecimal(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	return whole != "" && allDigits(whole) && (!dot || frac != "" && allDigits(frac))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseCPUs parses Docker's --cpus, a decimal number of CPUs, into a cpu.max
// quota and period: "1.5" → 150000 µs per 100000 µs. It must be at least
// 0.01 and at most online (the CPUs of this host). Digits beyond the
// microsecond are dropped.
func ParseCPUs(s string, online int) (quota, period int64, err error) {
	limit := fmt.Sprintf("use 0.01 to %d", online)
	if !isDecimal(s) || len(s) > 20 {
		return 0, 0, fmt.Errorf("invalid number of CPUs %q: %s (e.g. 1.5)", s, limit)
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > int64(online) {
		return 0, 0, fmt.Errorf("invalid number of CPUs %q: this host has %d CPUs: %s", s, online, limit)
	}
	// frac as a multiple of 10 µs, to the microsecond of a 100000 µs period.
	frac = (frac + "00000")[:5]
	f, _ := strconv.ParseInt(frac, 10, 64)
	quota = w*defaultCPUPeriod + f
	switch {
	case quota > int64(online)*defaultCPUPeriod:
		return 0, 0, fmt.Errorf("invalid number of CPUs %q: this host has %d CPUs: %s", s, online, limit)
	case quota < minCPUQuota:
		return 0, 0, fmt.Errorf("invalid number of CPUs %q: the minimum is 0.01: %s", s, limit)
	}
	return quota, defaultCPUPeriod, nil
}

// SharesToWeight converts Docker's --cpu-shares (cgroup v1's cpu.shares,
// 2..262144) to cgroup v2's cpu.weight the way crun and podman do:
// 1 + ((shares-2)*9999)/262142, so 2 → 1, 1024 → 39, 262144 → 10000.
func SharesToWeight(shares uint64) (uint64, error) {
	if shares < 2 || shares > 262144 {
		return 0, fmt.Errorf("invalid CPU shares %d: use 2 to 262144 (Docker's default is 1024)", shares)
	}
	return 1 + ((shares-2)*9999)/262142, nil
}

// ParseCPUSet checks a CPU list such as "0-1,3" (numbers and ranges, comma
// separated) and that every CPU is below online. It returns the list
// normalised: sorted, with overlapping and adjacent ranges merged.
func ParseCPUSet(s string, online int) (string, error) {
	type span struct{ lo, hi int }
	var spans []span
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, err1 := cpuNumber(a)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = cpuNumber(b)
		}
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("invalid CPU list %q: use CPU numbers and ranges such as 0-1,3", s)
		}
		if hi < lo {
			return "", fmt.Errorf("invalid CPU list %q: the range %s goes backwards", s, part)
		}
		if hi >= online {
			return "", fmt.Errorf("invalid CPU list %q: CPU %d does not exist: this host has CPUs 0-%d", s, hi, online-1)
		}
		spans = append(spans, span{lo, hi})
	}
	slices.SortFunc(spans, func(x, y span) int { return x.lo - y.lo })
	var b strings.Builder
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].lo <= cur.hi+1; i++ {
			cur.hi = max(cur.hi, spans[i].hi)
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cur.lo))
		if cur.hi > cur.lo {
			b.WriteString("-" + strconv.Itoa(cur.hi))
		}
	}
	return b.String(), nil
}

func cpuNumber(s string) (int, error) {
	if s == "" || len(s) > 9 || !allDigits(s) {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(s)
}
