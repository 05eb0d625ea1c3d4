package caps

import (
	"reflect"
	"testing"
)

func TestSetAddRemoveHas(t *testing.T) {
	var s Set
	for _, c := range []int{0, 31, 32, Last, Last + 1, 63, 64, -1} {
		s.Add(c)
	}
	if want := Set(1<<0 | 1<<31 | 1<<32 | 1<<Last); s != want {
		t.Fatalf("after Add: %#x, want %#x (out-of-range numbers must be ignored)", uint64(s), uint64(want))
	}
	for c, want := range map[int]bool{0: true, 1: false, 31: true, 32: true, Last: true, Last + 1: false, -1: false} {
		if got := s.Has(c); got != want {
			t.Errorf("Has(%d) = %v, want %v", c, got, want)
		}
	}
	s.Remove(31)
	s.Remove(-1)
	if s.Has(31) {
		t.Errorf("Has(31) after Remove")
	}
}

func TestSetNames(t *testing.T) {
	tests := []struct {
		s    Set
		want []string
	}{
		{0, []string{}},
		{1<<21 | 1<<0 | 1<<40, []string{"CAP_CHECKPOINT_RESTORE", "CAP_CHOWN", "CAP_SYS_ADMIN"}},
		{Default, []string{
			"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
			"CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP",
			"CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
		}},
	}
	for _, tt := range tests {
		if got := tt.s.Names(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%#x.Names() = %q, want %q", uint64(tt.s), got, tt.want)
		}
	}
	if n := len(All.Names()); n != Last+1 {
		t.Errorf("All has %d names, want %d", n, Last+1)
	}
}

func TestNamesRoundTrip(t *testing.T) {
	for _, s := range []Set{0, Default, All, 1<<0 | 1<<40} {
		got, err := FromNames(s.Names())
		if err != nil || got != s {
			t.Errorf("FromNames(%#x.Names()) = %#x, %v", uint64(s), uint64(got), err)
		}
	}
}
