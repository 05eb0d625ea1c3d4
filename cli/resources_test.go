package cli

import (
	"strings"
	"testing"
)

func TestOOMMessage(t *testing.T) {
	for in, want := range map[string]string{
		"64m":  "OOM killed: memory limit 64 MiB reached",
		"1g":   "OOM killed: memory limit 1 GiB reached",
		"":     "OOM killed: the container ran out of memory",
		"512k": "OOM killed: memory limit 512 KiB reached",
	} {
		if got := oomMessage(in); got != want {
			t.Errorf("oomMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimitsFromFlags(t *testing.T) {
	r := resources{Memory: "64m", MemorySwap: "-1", Cpus: "0.5", CPUShares: 1024, CpusetCpus: "0", PidsLimit: 10, IOWeight: 100}
	l, err := r.limits()
	if err != nil {
		t.Fatal(err)
	}
	if l.MemoryMax != 64<<20 || l.MemorySwap != -1 || l.CPUQuota != 50000 || l.CPUPeriod != 100000 ||
		l.CPUWeight != 39 || l.CPUSetCPUs != "0" || l.PidsMax != 10 || l.IOWeight != 100 {
		t.Errorf("limits = %+v", l)
	}
	for _, bad := range []resources{
		{Memory: "12x"}, {Cpus: "nope"}, {CPUShares: 512, CPUWeight: 10}, {CpusetCpus: "9999"},
		{Memory: "64m", MemorySwap: "32m"},
	} {
		if _, err := bad.limits(); err == nil {
			t.Errorf("%+v accepted", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: multi-line error %q", bad, err)
		}
	}
}

func TestDisabledCgroupsRefuseLimits(t *testing.T) {
	r := resources{Cgroups: "disabled", Memory: "64m"}
	if _, err := r.cgroup("x"); err == nil || !strings.Contains(err.Error(), "--cgroups=disabled") {
		t.Errorf("err = %v", err)
	}
	r = resources{Cgroups: "disabled"}
	if cg, err := r.cgroup("x"); cg != nil || err != nil {
		t.Errorf("disabled without limits: %v, %v", cg, err)
	}
}
