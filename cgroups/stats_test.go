package cgroups

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeFiles creates dir and the files in it.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadStats(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    Stats
		wantErr string
	}{
		{
			name: "every controller",
			files: map[string]string{
				"cpu.stat":       "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 1000\n",
				"memory.current": "13107200\n",
				"memory.max":     "67108864\n",
				"memory.stat":    "anon 1000\nfile 4096\nactive_file 0\ninactive_file 4096\n",
				"pids.current":   "3\n",
				"pids.max":       "100\n",
				"io.stat": "8:0 rbytes=90112 wbytes=4096 rios=3 wios=1 dbytes=0 dios=0\n" +
					"253:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n",
			},
			want: Stats{CPUUsageUsec: 2500000, MemoryUsage: 13107200, MemoryLimit: 67108864, MemoryInactiveFile: 4096,
				Pids: 3, PidsLimit: 100, IORead: 90122, IOWrite: 4116},
		},
		{
			name: "no limits",
			files: map[string]string{
				"cpu.stat": "usage_usec 7\n", "memory.current": "4096\n", "memory.max": "max\n",
				"pids.current": "1\n", "pids.max": "max\n",
			},
			want: Stats{CPUUsageUsec: 7, MemoryUsage: 4096, Pids: 1},
		},
		{
			name:  "only the core files (no controller enabled)",
			files: map[string]string{"cpu.stat": "usage_usec 42\nuser_usec 40\nsystem_usec 2\n", "cgroup.procs": "1\n"},
			want:  Stats{CPUUsageUsec: 42},
		},
		{name: "nothing at all", files: map[string]string{}},
		{name: "empty io.stat", files: map[string]string{"io.stat": ""}},
		{
			name:  "io.stat line with other keys only",
			files: map[string]string{"io.stat": "8:0 rios=3 wios=1\n8:16 rbytes=5\n"},
			want:  Stats{IORead: 5},
		},
		{name: "malformed usage", files: map[string]string{"cpu.stat": "usage_usec lots\n"}, wantErr: "cpu.stat: usage_usec: not a number"},
		{name: "malformed memory.current", files: map[string]string{"memory.current": "x\n"}, wantErr: `memory.current: not a number: "x"`},
		{name: "negative pids.max", files: map[string]string{"pids.max": "-1\n"}, wantErr: "pids.max"},
		{name: "malformed io.stat", files: map[string]string{"io.stat": "8:0 rbytes=z\n"}, wantErr: `io.stat: device 8:0: rbytes is not a number: "z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cg")
			writeFiles(t, dir, tt.files)
			got, err := ReadStats(dir)
			checkErr(t, err, tt.wantErr)
			if err == nil && got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadStatsMissingDir(t *testing.T) {
	_, err := ReadStats(filepath.Join(t.TempDir(), "gone"))
	checkErr(t, err, "read stats: stat ")
	if !strings.Contains(err.Error(), "gone: no such file or directory") {
		t.Errorf("error %q does not name the directory and the cause", err)
	}
}

func TestReadStatsUnreadable(t *testing.T) {
	dir := t.TempDir()
	// A directory where a file should be: reading fails with EISDIR, which
	// is not "missing" and must surface.
	if err := os.Mkdir(filepath.Join(dir, "memory.current"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := ReadStats(dir)
	checkErr(t, err, "memory.current: is a directory")
}

func TestStatsMemory(t *testing.T) {
	const total = 8 << 30
	tests := []struct {
		s                   Stats
		wantLimit, wantUsed uint64
	}{
		{s: Stats{MemoryUsage: 100, MemoryLimit: 0}, wantLimit: total, wantUsed: 100},
		{s: Stats{MemoryUsage: 100, MemoryLimit: 64 << 20}, wantLimit: 64 << 20, wantUsed: 100},
		// A limit above the host's memory is no limit in practice: Docker shows the host's.
		{s: Stats{MemoryLimit: 16 << 30}, wantLimit: total},
		{s: Stats{MemoryUsage: 100, MemoryInactiveFile: 30}, wantLimit: total, wantUsed: 70},
		{s: Stats{MemoryUsage: 100, MemoryInactiveFile: 300}, wantLimit: total, wantUsed: 100},
	}
	for _, tt := range tests {
		if got := tt.s.MemoryLimitOr(total); got != tt.wantLimit {
			t.Errorf("%+v: MemoryLimitOr = %d, want %d", tt.s, got, tt.wantLimit)
		}
		if got := tt.s.MemoryUsed(); got != tt.wantUsed {
			t.Errorf("%+v: MemoryUsed = %d, want %d", tt.s, got, tt.wantUsed)
		}
	}
	if got := (Stats{MemoryLimit: 5}).MemoryLimitOr(0); got != 5 {
		t.Errorf("unknown host memory: MemoryLimitOr(0) = %d, want the limit 5", got)
	}
}

func TestCPUPercent(t *testing.T) {
	at := func(usec uint64) Stats { return Stats{CPUUsageUsec: usec} }
	tests := []struct {
		name      string
		prev, cur Stats
		elapsed   time.Duration
		online    int
		want      float64
	}{
		{"idle", at(1000), at(1000), time.Second, 2, 0},
		{"one CPU busy", at(0), at(1000000), time.Second, 2, 100},
		{"half a CPU", at(500000), at(1000000), time.Second, 2, 50},
		{"two CPUs busy", at(0), at(4000000), 2 * time.Second, 2, 200},
		{"jitter above all CPUs", at(0), at(2100000), time.Second, 2, 200},
		{"no cap without a CPU count", at(0), at(3000000), time.Second, 0, 300},
		{"short interval", at(0), at(250), 500 * time.Microsecond, 1, 50},
		{"counter went back", at(5000), at(10), time.Second, 2, 0},
		{"no time passed", at(0), at(1000), 0, 2, 0},
		{"sub-microsecond interval", at(0), at(1), time.Nanosecond, 1, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CPUPercent(tt.prev, tt.cur, tt.elapsed, tt.online)
			if math.Abs(got-tt.want) > 1e-9 || math.IsNaN(got) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0B"},
		{512, "512B"},
		{1023, "1023B"},
		{1024, "1KiB"},
		{1536, "1.5KiB"},
		{13107200, "12.5MiB"},
		{64 << 20, "64MiB"},
		{1288490189, "1.2GiB"},
		{2087354106, "1.944GiB"},
		{1<<20 - 1, "1024KiB"}, // four significant digits, as go-units rounds
		{1 << 40, "1TiB"},
		{math.MaxUint64, "16EiB"},
	}
	for _, tt := range tests {
		if got := FormatBytes(tt.in); got != tt.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMemTotal(t *testing.T) {
	tests := []struct {
		name, meminfo string
		want          uint64
		wantErr       string
	}{
		{name: "debian", meminfo: "MemTotal:       16318272 kB\nMemFree:         1000000 kB\n", want: 16318272 << 10},
		{name: "not first", meminfo: "Foo: 1 kB\nMemTotal: 2048 kB\n", want: 2 << 20},
		{name: "missing", meminfo: "MemFree: 1 kB\n", wantErr: "no MemTotal line"},
		{name: "no unit", meminfo: "MemTotal: 2048\n", wantErr: `malformed MemTotal line "MemTotal: 2048"`},
		{name: "not a number", meminfo: "MemTotal: x kB\n", wantErr: "malformed MemTotal line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc := t.TempDir()
			writeFiles(t, proc, map[string]string{"meminfo": tt.meminfo})
			got, err := MemTotal(proc)
			checkErr(t, err, tt.wantErr)
			if err == nil && got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), filepath.Join(proc, "meminfo")) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := MemTotal(t.TempDir()); err == nil || !strings.Contains(err.Error(), "read host memory: open ") {
		t.Errorf("missing meminfo: err = %v", err)
	}
}
