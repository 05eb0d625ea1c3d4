package userns

import (
	"math"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type idm = specs.LinuxIDMapping

// maps builds a mapping from flat (container, host, size) triples; vet
// rightly refuses unkeyed literals of another package's struct.
func maps(triples ...uint32) []idm {
	var m []idm
	for i := 0; i+2 < len(triples); i += 3 {
		m = append(m, idm{ContainerID: triples[i], HostID: triples[i+1], Size: triples[i+2]})
	}
	return m
}

func TestPlanIDMap(t *testing.T) {
	tests := []struct {
		name   string
		host   uint32
		ranges []Range
		size   uint32
		want   []idm
	}{
		{"no ranges", 1000, nil, 65536, maps(0, 1000, 1)},
		{"size zero", 1000, []Range{{100000, 65536}}, 0, maps(0, 1000, 1)},
		{"one exact range", 1000, []Range{{100000, 65536}}, 65536,
			maps(0, 1000, 1, 1, 100000, 65536)},
		{"one big range capped at size", 1000, []Range{{100000, 1 << 20}}, 65536,
			maps(0, 1000, 1, 1, 100000, 65536)},
		{"one small range", 1000, []Range{{100000, 100}}, 65536,
			maps(0, 1000, 1, 1, 100000, 100)},
		{"two small ranges concatenated in order", 1000, []Range{{300000, 1000}, {100000, 2000}}, 65536,
			maps(0, 1000, 1, 1, 300000, 1000, 1001, 100000, 2000)},
		{"second range cut at size", 1000, []Range{{100000, 40000}, {200000, 40000}}, 65536,
			maps(0, 1000, 1, 1, 100000, 40000, 40001, 200000, 25536)},
		{"ranges after the cap ignored", 1000, []Range{{100000, 65536}, {200000, 10}}, 65536,
			maps(0, 1000, 1, 1, 100000, 65536)},
		{"empty range skipped", 1000, []Range{{100000, 0}, {200000, 10}}, 65536,
			maps(0, 1000, 1, 1, 200000, 10)},
		{"duplicate line not mapped twice", 1000, []Range{{100000, 10}, {100000, 10}}, 65536,
			maps(0, 1000, 1, 1, 100000, 10)},
		{"overlapping lines keep the new part", 1000, []Range{{100000, 10}, {100005, 10}}, 65536,
			maps(0, 1000, 1, 1, 100000, 10, 11, 100010, 5)},
		{"range containing the user's own uid is split", 1000, []Range{{990, 20}}, 65536,
			maps(0, 1000, 1, 1, 990, 10, 11, 1001, 9)},
		{"range ending at the user's uid", 1000, []Range{{995, 6}}, 65536,
			maps(0, 1000, 1, 1, 995, 5)},
		{"range reaching (uid_t)-1 clipped", 0, []Range{{math.MaxUint32 - 2, 3}}, 65536,
			maps(0, 0, 1, 1, math.MaxUint32-2, 2)},
		{"whole id space", 0, []Range{{0, math.MaxUint32}}, math.MaxUint32,
			maps(0, 0, 1, 1, 1, math.MaxUint32-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PlanIDMap(tt.host, tt.ranges, tt.size)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlanIDMapExtentLimit(t *testing.T) {
	ranges := make([]Range, 1000)
	for i := range ranges {
		ranges[i] = Range{Start: 100000 + uint32(i)*10, Count: 1}
	}
	got := PlanIDMap(1000, ranges, 65536)
	if len(got) != maxExtents {
		t.Fatalf("got %d extents, want %d", len(got), maxExtents)
	}
	if last := got[len(got)-1]; last.ContainerID != maxExtents-1 {
		t.Errorf("last extent %v: container ids not contiguous", last)
	}
}

func TestIdentity(t *testing.T) {
	got := Identity(1000)
	want := maps(1000, 1000, 1)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestToHostAndContains(t *testing.T) {
	m := maps(0, 1000, 1, 1, 100000, 65536, math.MaxUint32-1, 5, 1)
	tests := []struct {
		id     uint32
		want   uint32
		wantOK bool
	}{
		{0, 1000, true},
		{1, 100000, true},
		{2, 100001, true},
		{65536, 165535, true},
		{65537, 0, false},
		{math.MaxUint32 - 1, 5, true},
		{math.MaxUint32, 0, false},
	}
	for _, tt := range tests {
		got, ok := ToHost(m, tt.id)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ToHost(%d) = %d, %v; want %d, %v", tt.id, got, ok, tt.want, tt.wantOK)
		}
		if c := Contains(m, tt.id); c != tt.wantOK {
			t.Errorf("Contains(%d) = %v, want %v", tt.id, c, tt.wantOK)
		}
	}
	if Contains(nil, 0) {
		t.Error("an empty map contains 0")
	}
	// An extent that ends exactly at 2^32 must not wrap around to id 0.
	if Contains(maps(math.MaxUint32, 1, 1), 0) {
		t.Error("an extent at the top of the id space contains 0")
	}
}

func TestFormatMap(t *testing.T) {
	tests := []struct {
		m    []idm
		want string
	}{
		{nil, ""},
		{maps(0, 1000, 1), "0 1000 1\n"},
		{maps(0, 1000, 1, 1, 100000, 65536), "0 1000 1\n1 100000 65536\n"},
		{maps(math.MaxUint32-1, math.MaxUint32-1, 1), "4294967294 4294967294 1\n"},
	}
	for _, tt := range tests {
		if got := FormatMap(tt.m); got != tt.want {
			t.Errorf("FormatMap(%v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestMapArgs(t *testing.T) {
	got := mapArgs(maps(0, 1000, 1, 1, 100000, 65536))
	want := []string{"0", "1000", "1", "1", "100000", "65536"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
