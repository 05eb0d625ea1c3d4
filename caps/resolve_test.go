package caps

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func set(names ...string) Set {
	var s Set
	for _, n := range names {
		c, err := Parse(n)
		if err != nil {
			panic(err)
		}
		s.Add(c)
	}
	return s
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name      string
		add, drop []string
		want      Set
		wantErr   string
	}{
		{name: "defaults", want: Default},
		{name: "add one", add: []string{"NET_ADMIN"}, want: Default | set("NET_ADMIN")},
		{name: "add with prefix and lower case", add: []string{"cap_sys_admin"}, want: Default | set("SYS_ADMIN")},
		{name: "add a default again", add: []string{"CHOWN", "CAP_CHOWN"}, want: Default},
		{name: "drop one", drop: []string{"NET_RAW"}, want: Default &^ set("NET_RAW")},
		{name: "drop one not held", drop: []string{"SYS_ADMIN"}, want: Default},
		{name: "drop twice", drop: []string{"net_raw", "CAP_NET_RAW"}, want: Default &^ set("NET_RAW")},
		{name: "add and drop the same: add wins", add: []string{"NET_RAW"}, drop: []string{"NET_RAW"}, want: Default},
		{name: "add ALL", add: []string{"ALL"}, want: All},
		{name: "add all lower case", add: []string{"all"}, want: All},
		{name: "add ALL drop one", add: []string{"ALL"}, drop: []string{"SYS_ADMIN"}, want: All &^ set("SYS_ADMIN")},
		{name: "add ALL drop ALL: Docker grants all", add: []string{"ALL"}, drop: []string{"ALL"}, want: All},
		{name: "drop ALL", drop: []string{"ALL"}, want: 0},
		{name: "drop ALL then add", add: []string{"CHOWN", "NET_BIND_SERVICE"}, drop: []string{"ALL"}, want: set("CHOWN", "NET_BIND_SERVICE")},
		{name: "drop ALL and one", add: []string{"KILL"}, drop: []string{"ALL", "KILL"}, want: set("KILL")},
		{name: "unknown add", add: []string{"FOO"}, wantErr: `unknown capability "FOO": see capabilities(7) for names`},
		{name: "unknown drop", drop: []string{"NET_RAW", "CAP_FOO"}, wantErr: `unknown capability "CAP_FOO": see capabilities(7) for names`},
		{name: "unknown beside ALL", add: []string{"ALL", "FOO"}, wantErr: `unknown capability "FOO": see capabilities(7) for names`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.add, tt.drop)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got [%s], want [%s]", got, tt.want)
			}
		})
	}
}

func TestFromNames(t *testing.T) {
	tests := []struct {
		in      []string
		want    Set
		wantErr bool
	}{
		{in: nil, want: 0},
		{in: []string{"CAP_CHOWN", "CAP_KILL", "CAP_CHOWN"}, want: set("CHOWN", "KILL")},
		{in: []string{"CAP_KILL", "ALL"}, want: All},
		{in: []string{"CAP_NOPE"}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := FromNames(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("FromNames(%q) = %#x, %v", tt.in, uint64(got), err)
		}
	}
}

func TestFromSpec(t *testing.T) {
	got, err := FromSpec(&specs.LinuxCapabilities{
		Bounding:  []string{"CAP_CHOWN", "CAP_KILL"},
		Effective: []string{"CAP_CHOWN"},
		Permitted: []string{"CAP_CHOWN"},
		Ambient:   []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Caps{Bounding: set("CHOWN", "KILL"), Effective: set("CHOWN"), Permitted: set("CHOWN")}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if c, err := FromSpec(nil); err != nil || c != (Caps{}) {
		t.Errorf("FromSpec(nil) = %+v, %v; want empty sets", c, err)
	}
	_, err = FromSpec(&specs.LinuxCapabilities{Ambient: []string{"CAP_NOPE"}})
	if want := `ambient capabilities: unknown capability "CAP_NOPE": see capabilities(7) for names`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
