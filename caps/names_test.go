package caps

import "testing"

func TestNameParseRoundTrip(t *testing.T) {
	for c := 0; c <= Last; c++ {
		name := Name(c)
		if name == "" {
			t.Fatalf("Name(%d) is empty: the names table has a hole", c)
		}
		for _, form := range []string{name, name[len("CAP_"):], "cap_" + name[len("CAP_"):]} {
			got, err := Parse(form)
			if err != nil || got != c {
				t.Errorf("Parse(%q) = %d, %v; want %d", form, got, err, c)
			}
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		c    int
		want string
	}{
		{0, "CAP_CHOWN"},
		{21, "CAP_SYS_ADMIN"},
		{40, "CAP_CHECKPOINT_RESTORE"},
		{41, ""},
		{-1, ""},
	}
	for _, tt := range tests {
		if got := Name(tt.c); got != tt.want {
			t.Errorf("Name(%d) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{in: "NET_ADMIN", want: 12},
		{in: "CAP_NET_ADMIN", want: 12},
		{in: "net_admin", want: 12},
		{in: "Cap_Net_Admin", want: 12},
		{in: "CAP_BPF", want: 39},
		{in: "FOO", wantErr: `unknown capability "FOO": see capabilities(7) for names`},
		{in: "CAP_", wantErr: `unknown capability "CAP_": see capabilities(7) for names`},
		{in: "", wantErr: `unknown capability "": see capabilities(7) for names`},
		{in: "CAP_CAP_CHOWN", wantErr: `unknown capability "CAP_CAP_CHOWN": see capabilities(7) for names`},
		{in: "ALL", wantErr: `unknown capability "ALL": see capabilities(7) for names`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}
