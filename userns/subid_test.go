package userns

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseSubIDs(t *testing.T) {
	tests := []struct {
		name  string
		input string
		user  string
		id    uint32
		want  []Range
	}{
		{"by name", "alice:100000:65536\n", "alice", 1000, []Range{{100000, 65536}}},
		{"by numeric uid", "1000:100000:65536\n", "alice", 1000, []Range{{100000, 65536}}},
		{"numeric uid without a name", "1000:100000:65536\n", "", 1000, []Range{{100000, 65536}}},
		{"other users skipped", "bob:100000:65536\nalice:165536:65536\n1001:300000:10\n", "alice", 1000, []Range{{165536, 65536}}},
		{"multiple ranges kept in file order", "alice:200000:10\n1000:100000:5\nalice:300000:1\n", "alice", 1000,
			[]Range{{200000, 10}, {100000, 5}, {300000, 1}}},
		{"comments and blank lines", "# alice:1:1\n\n   \n  # indented\nalice:100000:65536\n", "alice", 1000, []Range{{100000, 65536}}},
		{"no trailing newline", "alice:100000:65536", "alice", 1000, []Range{{100000, 65536}}},
		{"crlf and spaces tolerated", "alice : 100000 : 65536\r\n", "alice", 1000, []Range{{100000, 65536}}},
		{"garbage lines skipped", strings.Join([]string{
			"alice",
			"alice:100000",
			"alice:100000:65536:extra",
			"alice:abc:10",
			"alice:10:-1",
			"alice:-5:10",
			":100000:65536",
			"alice:100000:0",
			"alice:4294967295:1",
			"alice:4294967000:296",
			"alice:99999999999:1",
			"\x00\xff",
			strings.Repeat("x", 200000),
			"alice:7:3",
		}, "\n"), "alice", 1000, []Range{{7, 3}}},
		{"last id below 2^32-1 accepted", "alice:4294967000:295\n", "alice", 1000, []Range{{4294967000, 295}}},
		{"name prefix is not a match", "alice2:1:1\nalic:2:2\n", "alice", 1000, nil},
		{"uid prefix is not a match", "10000:1:1\n01000:2:2\n", "alice", 1000, nil},
		{"empty input", "", "alice", 1000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSubIDs(strings.NewReader(tt.input), tt.user, tt.id)
			if err != nil {
				t.Fatalf("ParseSubIDs: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseSubIDsReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := ParseSubIDs(iotest.ErrReader(boom), "alice", 1000)
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

func TestLookupSubIDs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "subuid")
	if err := os.WriteFile(path, []byte("alice:100000:65536\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		want    []Range
		wantErr bool
	}{
		{"present", path, []Range{{100000, 65536}}, false},
		{"missing file", filepath.Join(dir, "nope"), nil, false},
		{"directory", dir, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LookupSubIDs(tt.path, "alice", 1000)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
