package logs

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"100", 100},
		{"1", 1},
		{"512k", 512 << 10},
		{"512K", 512 << 10},
		{"10m", 10 << 20},
		{"10mb", 10 << 20},
		{"10MB", 10 << 20},
		{"1g", 1 << 30},
		{"1Gb", 1 << 30},
		{"100b", 100},
		{"1.5m", 3 << 19},
		{"0.5k", 512},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	for _, in := range []string{"", "b", "m", "0", "0k", "-1m", "+1m", "10x", "10 m", "1e3", "inf", "1.m", ".5m", "10mib", "1t", "99999999999g", "0.1"} {
		_, err := ParseSize(in)
		wantParseError(t, "ParseSize", in, err, "10m")
	}
}
