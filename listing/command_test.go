package listing

import "testing"

func TestQuotedCommand(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		noTrunc bool
		want    string
	}{
		{nil, false, `""`},
		{[]string{"sleep", "1000"}, false, `"sleep 1000"`},
		{[]string{"sh", "-c", "echo hi"}, false, `"sh -c 'echo hi'"`},
		// The program itself is never quoted, only arguments.
		{[]string{"/my prog", "a b"}, true, `"/my prog 'a b'"`},
		{[]string{"12345678901234567890"}, false, `"12345678901234567890"`},
		{[]string{"123456789012345678901"}, false, `"1234567890123456789…"`},
		{[]string{"/docker-entrypoint.sh", "nginx"}, false, `"/docker-entrypoint.…"`},
		{[]string{"/docker-entrypoint.sh", "nginx"}, true, `"/docker-entrypoint.sh nginx"`},
		{[]string{"printf", "a\tb\n"}, true, `"printf a\tb\n"`},
	} {
		if got := quotedCommand(tc.argv, tc.noTrunc); got != tc.want {
			t.Errorf("quotedCommand(%q, %v) = %s, want %s", tc.argv, tc.noTrunc, got, tc.want)
		}
	}
}

func TestEllipsisCountsColumns(t *testing.T) {
	for _, tc := range []struct {
		s     string
		width int
		want  string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"日本語のコマンド", 20, "日本語のコマンド"},
		{"echo 日本語のコマンドです", 12, "echo 日本語…"},
		{"echo 日本語のコマンドです", 11, "echo 日本…"},
		{"échoé", 5, "échoé"},
		{"e\u0301cho e\u0301te\u0301", 8, "e\u0301cho e\u0301te\u0301"},
	} {
		if got := ellipsis(tc.s, tc.width); got != tc.want {
			t.Errorf("ellipsis(%q, %d) = %q, want %q", tc.s, tc.width, got, tc.want)
		}
	}
}

func TestShortImage(t *testing.T) {
	hex := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for ref, want := range map[string]string{
		"alpine":                                "alpine",
		"alpine:3.20":                           "alpine:3.20",
		"docker.io/library/alpine:3.20":         "alpine:3.20",
		"index.docker.io/library/alpine":        "alpine",
		"docker.io/library/a/b":                 "library/a/b",
		"library/busybox":                       "busybox",
		"docker.io/bitnami/redis:7":             "bitnami/redis:7",
		"alpine@sha256:" + hex:                  "alpine",
		"ghcr.io/o/app:v1@sha256:" + hex:        "ghcr.io/o/app:v1",
		"localhost:5000/app":                    "localhost:5000/app",
		"sha256:" + hex:                         "0123456789ab",
		hex:                                     "0123456789ab",
		"registry.example/library/thing:latest": "registry.example/library/thing:latest",
	} {
		if got := shortImage(ref); got != want {
			t.Errorf("shortImage(%q) = %q, want %q", ref, got, want)
		}
	}
}
