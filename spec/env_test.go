package spec

import (
	"slices"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	t.Setenv("NOOK_TEST_FROM_CALLER", "caller's")
	tests := []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{name: "empty", in: ""},
		{
			name: "comments and blank lines",
			in:   "# a comment\n\nA=1\n   \n  # indented comment\nB=two words\n",
			want: []string{"A=1", "B=two words"},
		},
		{name: "surrounding space trimmed", in: "  A=1  \n", want: []string{"A=1"}},
		{name: "empty value", in: "A=\n", want: []string{"A="}},
		{name: "value with =", in: "A=b=c\n", want: []string{"A=b=c"}},
		{name: "bare key from the caller", in: "NOOK_TEST_FROM_CALLER\n", want: []string{"NOOK_TEST_FROM_CALLER=caller's"}},
		{name: "bare key unset: dropped", in: "NOOK_TEST_UNSET_FOR_SURE\nA=1\n", want: []string{"A=1"}},
		{name: "no final newline", in: "A=1", want: []string{"A=1"}},
		{
			name:    "bad key names the line",
			in:      "# header\nA=1\nBAD KEY=x\n",
			wantErr: `vars.env:3: invalid environment variable "BAD KEY=x": want KEY=VALUE`,
		},
		{name: "empty key", in: "=x\n", wantErr: `vars.env:1: invalid environment variable "=x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnvFile(strings.NewReader(tt.in), "vars.env")
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("ParseEnvFile = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseEnvFile = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestEnvEntry(t *testing.T) {
	t.Setenv("NOOK_TEST_FROM_CALLER", "v")
	t.Setenv("NOOK_TEST_EMPTY", "")
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "A=1", want: "A=1"},
		{in: "A=", want: "A="},
		{in: "A=x y", want: "A=x y"},
		{in: "NOOK_TEST_FROM_CALLER", want: "NOOK_TEST_FROM_CALLER=v"},
		{in: "NOOK_TEST_EMPTY", want: "NOOK_TEST_EMPTY="},
		{in: "NOOK_TEST_UNSET_FOR_SURE", want: ""},
		{in: "=1", wantErr: `invalid environment variable "=1": want KEY=VALUE`},
		{in: "", wantErr: `invalid environment variable "": want KEY=VALUE`},
		{in: "A B=1", wantErr: `invalid environment variable "A B=1": want KEY=VALUE`},
		{in: "A\tB", wantErr: `invalid environment variable "A\tB": want KEY=VALUE`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := EnvEntry(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("EnvEntry = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("EnvEntry = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name  string
		lists [][]string
		want  []string
	}{
		{name: "nothing"},
		{name: "one list", lists: [][]string{{"A=1", "B=2"}}, want: []string{"A=1", "B=2"}},
		{
			name:  "override keeps the first position",
			lists: [][]string{{"PATH=/bin", "HOME=/root", "A=1"}, {"B=2", "PATH=/usr/bin"}},
			want:  []string{"PATH=/usr/bin", "HOME=/root", "A=1", "B=2"},
		},
		{name: "duplicates within a list: the last wins", lists: [][]string{{"A=1", "A=2"}}, want: []string{"A=2"}},
		{name: "three lists", lists: [][]string{{"A=1"}, {"A=2"}, {"B=1", "A=3"}}, want: []string{"A=3", "B=1"}},
		{name: "empty value overrides", lists: [][]string{{"A=1"}, {"A="}}, want: []string{"A="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MergeEnv(tt.lists...); !slices.Equal(got, tt.want) {
				t.Errorf("MergeEnv = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	env := []string{"A=1", "B", "A=2", "C="}
	for _, tt := range []struct {
		key, want string
		ok        bool
	}{
		{"A", "2", true},
		{"C", "", true},
		{"B", "", false},
		{"D", "", false},
	} {
		if got, ok := Lookup(env, tt.key); got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%s) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}
