package cgroups

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string // substring; "" means no error
	}{
		{in: "1024", want: 1024},
		{in: "0", want: 0},
		{in: "10b", want: 10},
		{in: "10B", want: 10},
		{in: "100k", want: 100 << 10},
		{in: "100K", want: 100 << 10},
		{in: "512m", want: 512 << 20},
		{in: "512M", want: 512 << 20},
		{in: "512mb", want: 512 << 20},
		{in: "512MiB", want: 512 << 20},
		{in: "1g", want: 1 << 30},
		{in: "1G", want: 1 << 30},
		{in: "1.5g", want: 3 << 29},
		{in: "0.5k", want: 512},
		{in: "1.0001k", want: 1024},
		{in: "8589934591g", want: 8589934591 << 30},
		{in: "12x", wantErr: `invalid size "12x": use a number with an optional unit b, k, m, g (e.g. 512m)`},
		{in: "", wantErr: `invalid size ""`},
		{in: "-1", wantErr: `invalid size "-1"`},
		{in: "1.5.5g", wantErr: `invalid size "1.5.5g"`},
		{in: "m", wantErr: `invalid size "m"`},
		{in: ".5g", wantErr: `invalid size ".5g"`},
		{in: "5.g", wantErr: `invalid size "5.g"`},
		{in: "5 g", wantErr: `invalid size "5 g"`},
		{in: " 5g", wantErr: `invalid size " 5g"`},
		{in: "+5g", wantErr: `invalid size "+5g"`},
		{in: "1e3", wantErr: `invalid size "1e3"`},
		{in: "1t", wantErr: `invalid size "1t"`},
		{in: "5gb2", wantErr: `invalid size "5gb2"`},
		{in: "0x10", wantErr: `invalid size "0x10"`},
		{in: "10.5", wantErr: `invalid size "10.5": a number of bytes is whole`},
		{in: "8589934592g", wantErr: `invalid size "8589934592g": too large`},
		{in: "99999999999999999999", wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			checkErr(t, err, tt.wantErr)
			if err == nil && got != tt.want {
				t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// checkErr fails unless err matches want: nil for "", else a one-line error
// containing want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case err != nil && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	case err != nil && strings.Contains(err.Error(), "\n"):
		t.Fatalf("error is not one line: %q", err)
	}
}

func TestParseCPUs(t *testing.T) {
	tests := []struct {
		in        string
		online    int
		wantQuota int64
		wantErr   string
	}{
		{in: "1.5", online: 2, wantQuota: 150000},
		{in: "1", online: 2, wantQuota: 100000},
		{in: "2", online: 2, wantQuota: 200000},
		{in: "2.0", online: 2, wantQuota: 200000},
		{in: "0.01", online: 2, wantQuota: 1000},
		{in: "0.5", online: 1, wantQuota: 50000},
		{in: "0.123456", online: 1, wantQuota: 12345},
		{in: "1.00001", online: 2, wantQuota: 100001},
		{in: "0", online: 2, wantErr: `invalid number of CPUs "0": the minimum is 0.01: use 0.01 to 2`},
		{in: "0.009", online: 2, wantErr: `"0.009": the minimum is 0.01`},
		{in: "-1", online: 2, wantErr: `invalid number of CPUs "-1"`},
		{in: "abc", online: 2, wantErr: `invalid number of CPUs "abc": use 0.01 to 2 (e.g. 1.5)`},
		{in: "", online: 2, wantErr: `invalid number of CPUs ""`},
		{in: "1e2", online: 2, wantErr: `invalid number of CPUs "1e2"`},
		{in: "1.", online: 2, wantErr: `invalid number of CPUs "1."`},
		{in: "NaN", online: 2, wantErr: `invalid number of CPUs "NaN"`},
		{in: "3", online: 2, wantErr: `invalid number of CPUs "3": this host has 2 CPUs: use 0.01 to 2`},
		{in: "2.00001", online: 2, wantErr: `"2.00001": this host has 2 CPUs`},
		{in: "4096", online: 2, wantErr: `"4096": this host has 2 CPUs`},
		{in: "99999999999999999999", online: 2, wantErr: `"99999999999999999999"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			quota, period, err := ParseCPUs(tt.in, tt.online)
			checkErr(t, err, tt.wantErr)
			if err == nil && (quota != tt.wantQuota || period != 100000) {
				t.Errorf("ParseCPUs(%q) = %d, %d; want %d, 100000", tt.in, quota, period, tt.wantQuota)
			}
		})
	}
}

func TestSharesToWeight(t *testing.T) {
	tests := []struct {
		shares  uint64
		want    uint64
		wantErr string
	}{
		{shares: 2, want: 1},
		{shares: 1024, want: 39}, // crun's and podman's value for Docker's default
		{shares: 512, want: 20},
		{shares: 262144, want: 10000},
		{shares: 1, wantErr: "invalid CPU shares 1: use 2 to 262144"},
		{shares: 0, wantErr: "invalid CPU shares 0"},
		{shares: 262145, wantErr: "invalid CPU shares 262145"},
	}
	for _, tt := range tests {
		got, err := SharesToWeight(tt.shares)
		checkErr(t, err, tt.wantErr)
		if err == nil && got != tt.want {
			t.Errorf("SharesToWeight(%d) = %d, want %d", tt.shares, got, tt.want)
		}
	}
}

func TestParseCPUSet(t *testing.T) {
	tests := []struct {
		in      string
		online  int
		want    string
		wantErr string
	}{
		{in: "0", online: 1, want: "0"},
		{in: "0-1,3", online: 4, want: "0-1,3"},
		{in: "3,0-1", online: 4, want: "0-1,3"},
		{in: "0,1,2", online: 4, want: "0-2"},
		{in: "0-2,1-3", online: 4, want: "0-3"},
		{in: "2-2", online: 4, want: "2"},
		{in: "1,1", online: 4, want: "1"},
		{in: "0-1,3-3,5", online: 8, want: "0-1,3,5"},
		{in: "", online: 2, wantErr: `invalid CPU list "": use CPU numbers and ranges such as 0-1,3`},
		{in: "0-", online: 2, wantErr: `invalid CPU list "0-"`},
		{in: "-1", online: 2, wantErr: `invalid CPU list "-1"`},
		{in: "0,,1", online: 2, wantErr: `invalid CPU list "0,,1"`},
		{in: "0,", online: 2, wantErr: `invalid CPU list "0,"`},
		{in: "a", online: 2, wantErr: `invalid CPU list "a"`},
		{in: " 0", online: 2, wantErr: `invalid CPU list " 0"`},
		{in: "0-1-2", online: 4, wantErr: `invalid CPU list "0-1-2"`},
		{in: "3-1", online: 4, wantErr: `invalid CPU list "3-1": the range 3-1 goes backwards`},
		{in: "2", online: 2, wantErr: `invalid CPU list "2": CPU 2 does not exist: this host has CPUs 0-1`},
		{in: "4095", online: 2, wantErr: `CPU 4095 does not exist`},
		{in: "0-7", online: 2, wantErr: `CPU 7 does not exist`},
		{in: "99999999999", online: 2, wantErr: `invalid CPU list "99999999999"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCPUSet(tt.in, tt.online)
			checkErr(t, err, tt.wantErr)
			if err == nil && got != tt.want {
				t.Errorf("ParseCPUSet(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLimitsFilesAndControllers(t *testing.T) {
	tests := []struct {
		name            string
		l               Limits
		wantFiles       []File
		wantControllers []string
	}{
		{name: "zero", l: Limits{}},
		{
			name:            "memory alone: as much swap as memory",
			l:               Limits{MemoryMax: 64 << 20},
			wantFiles:       []File{{"memory.max", "67108864"}, {"memory.swap.max", "67108864"}},
			wantControllers: []string{"memory"},
		},
		{
			name:            "memory and swap total",
			l:               Limits{MemoryMax: 512 << 20, MemorySwap: 1 << 30},
			wantFiles:       []File{{"memory.max", "536870912"}, {"memory.swap.max", "536870912"}},
			wantControllers: []string{"memory"},
		},
		{
			name:            "swap total equal to memory: no swap",
			l:               Limits{MemoryMax: 512 << 20, MemorySwap: 512 << 20},
			wantFiles:       []File{{"memory.max", "536870912"}, {"memory.swap.max", "0"}},
			wantControllers: []string{"memory"},
		},
		{
			name:            "unlimited swap",
			l:               Limits{MemoryMax: 512 << 20, MemorySwap: -1},
			wantFiles:       []File{{"memory.max", "536870912"}, {"memory.swap.max", "max"}},
			wantControllers: []string{"memory"},
		},
		{
			name:            "reservation alone",
			l:               Limits{MemoryLow: 32 << 20},
			wantFiles:       []File{{"memory.low", "33554432"}},
			wantControllers: []string{"memory"},
		},
		{
			name:            "cpus",
			l:               Limits{CPUQuota: 150000, CPUPeriod: 100000},
			wantFiles:       []File{{"cpu.max", "150000 100000"}},
			wantControllers: []string{"cpu"},
		},
		{
			name:            "quota with the default period",
			l:               Limits{CPUQuota: 50000},
			wantFiles:       []File{{"cpu.max", "50000 100000"}},
			wantControllers: []string{"cpu"},
		},
		{
			name:            "period alone",
			l:               Limits{CPUPeriod: 50000},
			wantFiles:       []File{{"cpu.max", "max 50000"}},
			wantControllers: []string{"cpu"},
		},
		{
			name:            "pids unlimited",
			l:               Limits{PidsMax: -1},
			wantFiles:       []File{{"pids.max", "max"}},
			wantControllers: []string{"pids"},
		},
		{
			name: "everything, in a fixed order",
			l: Limits{IOWeight: 500, PidsMax: 100, CPUSetCPUs: "0-1,3", CPUWeight: 39, CPUQuota: 200000,
				CPUPeriod: 100000, MemoryLow: 64 << 20, MemorySwap: 256 << 20, MemoryMax: 128 << 20},
			wantFiles: []File{
				{"memory.max", "134217728"}, {"memory.swap.max", "134217728"}, {"memory.low", "67108864"},
				{"cpu.max", "200000 100000"}, {"cpu.weight", "39"}, {"cpuset.cpus", "0-1,3"},
				{"pids.max", "100"}, {"io.weight", "default 500"},
			},
			wantControllers: []string{"memory", "cpu", "cpuset", "pids", "io"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.l.Files(); !reflect.DeepEqual(got, tt.wantFiles) {
				t.Errorf("Files() = %v, want %v", got, tt.wantFiles)
			}
			if got := tt.l.Controllers(); !reflect.DeepEqual(got, tt.wantControllers) {
				t.Errorf("Controllers() = %v, want %v", got, tt.wantControllers)
			}
			if got, want := tt.l.IsZero(), tt.wantFiles == nil; got != want {
				t.Errorf("IsZero() = %v, want %v", got, want)
			}
		})
	}
}

func TestLimitsValidate(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name    string
		l       Limits
		wantErr string
	}{
		{name: "zero", l: Limits{}},
		{name: "memory at the minimum", l: Limits{MemoryMax: 6 * mib}},
		{name: "memory and larger swap", l: Limits{MemoryMax: 64 * mib, MemorySwap: 128 * mib}},
		{name: "memory and equal swap", l: Limits{MemoryMax: 64 * mib, MemorySwap: 64 * mib}},
		{name: "unlimited swap without memory", l: Limits{MemorySwap: -1}},
		{name: "reservation below memory", l: Limits{MemoryMax: 64 * mib, MemoryLow: 32 * mib}},
		{name: "everything sane", l: Limits{CPUQuota: 1000, CPUPeriod: 100000, CPUWeight: 10000, CPUSetCPUs: "0-3",
			PidsMax: 4 << 20, IOWeight: 10000}},
		{name: "pids unlimited", l: Limits{PidsMax: -1}},
		{name: "memory below 6MiB", l: Limits{MemoryMax: 4 * mib},
			wantErr: "--memory 4MiB is below the minimum memory limit allowed, 6MiB: give at least 6m"},
		{name: "memory of one byte", l: Limits{MemoryMax: 1}, wantErr: "--memory 1B is below the minimum"},
		{name: "negative memory", l: Limits{MemoryMax: -1}, wantErr: "--memory -1 is negative"},
		{name: "swap without memory", l: Limits{MemorySwap: 1 << 30},
			wantErr: "--memory-swap needs --memory: it is the total of memory and swap"},
		{name: "swap below memory", l: Limits{MemoryMax: 64 * mib, MemorySwap: 32 * mib},
			wantErr: "--memory-swap 32MiB is smaller than --memory 64MiB: it is the total of memory and swap, so give at least 64MiB"},
		{name: "swap below -1", l: Limits{MemorySwap: -2}, wantErr: "--memory-swap -2 is invalid"},
		{name: "reservation above memory", l: Limits{MemoryMax: 64 * mib, MemoryLow: 128 * mib},
			wantErr: "--memory-reservation 128MiB is larger than --memory 64MiB"},
		{name: "reservation below 6MiB", l: Limits{MemoryLow: mib},
			wantErr: "--memory-reservation 1MiB is below the minimum memory reservation allowed, 6MiB"},
		{name: "negative reservation", l: Limits{MemoryLow: -5}, wantErr: "--memory-reservation -5 is negative"},
		{name: "quota below 1ms", l: Limits{CPUQuota: 999}, wantErr: "--cpus: a CPU quota of 999µs is below the minimum of 1000µs"},
		{name: "negative quota", l: Limits{CPUQuota: -1}, wantErr: "below the minimum of 1000µs"},
		{name: "period too short", l: Limits{CPUQuota: 1000, CPUPeriod: 999}, wantErr: "CPU period 999µs is out of range: use 1000 to 1000000"},
		{name: "period too long", l: Limits{CPUPeriod: 1000001}, wantErr: "CPU period 1000001µs is out of range"},
		{name: "weight too high", l: Limits{CPUWeight: 10001}, wantErr: "--cpu-weight 10001 is out of range: use 1 to 10000"},
		{name: "cpuset syntax", l: Limits{CPUSetCPUs: "0-"}, wantErr: `--cpuset-cpus: invalid CPU list "0-"`},
		{name: "pids below -1", l: Limits{PidsMax: -2}, wantErr: "--pids-limit -2 is invalid"},
		{name: "pids above the kernel's maximum", l: Limits{PidsMax: 4<<20 + 1},
			wantErr: "--pids-limit 4194305 is above the kernel's maximum 4194304"},
		{name: "io weight too high", l: Limits{IOWeight: 10001}, wantErr: "--io-weight 10001 is out of range: use 1 to 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.l.Validate(), tt.wantErr)
		})
	}
}
