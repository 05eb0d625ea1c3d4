package caps

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLastCapFrom(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content *string
		want    int
	}{
		{"kernel 5.9+", ptr("40\n"), 40},
		{"older kernel", ptr("37\n"), 37},
		{"newer kernel", ptr("41"), 41},
		{"missing file", nil, Last},
		{"garbage", ptr("forty\n"), Last},
		{"negative", ptr("-1\n"), Last},
		{"beyond two words", ptr("64\n"), Last},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, "cap_last_cap"+string(rune('a'+i)))
		if tt.content != nil {
			if err := os.WriteFile(path, []byte(*tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := lastCapFrom(path); got != tt.want {
			t.Errorf("%s: lastCapFrom = %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := LastCap(); got < 30 || got > 63 {
		t.Errorf("LastCap() = %d on this kernel, implausible", got)
	}
}

func ptr(s string) *string { return &s }
