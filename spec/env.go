package spec

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// ParseEnvFile reads Docker's --env-file format: KEY=VALUE lines, comments
// (#) and blank lines ignored, a bare KEY takes the caller's value.
func ParseEnvFile(r io.Reader, name string) ([]string, error) {
	var env []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := EnvEntry(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if e != "" {
			env = append(env, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return env, nil
}

// EnvEntry validates one -e value; a bare KEY is taken from the caller's
// environment (and dropped if unset), as Docker does.
func EnvEntry(s string) (string, error) {
	k, _, hasValue := strings.Cut(s, "=")
	if k == "" || strings.ContainsAny(k, " \t") {
		return "", fmt.Errorf("invalid environment variable %q: want KEY=VALUE", s)
	}
	if hasValue {
		return s, nil
	}
	if v, ok := os.LookupEnv(k); ok {
		return k + "=" + v, nil
	}
	return "", nil
}

// MergeEnv overlays later entries on earlier ones by key, keeping order of
// first appearance.
func MergeEnv(lists ...[]string) []string {
	index := map[string]int{}
	var out []string
	for _, l := range lists {
		for _, e := range l {
			k, _, _ := strings.Cut(e, "=")
			if i, ok := index[k]; ok {
				out[i] = e
				continue
			}
			index[k] = len(out)
			out = append(out, e)
		}
	}
	return out
}

// Lookup returns the value of key in env.
func Lookup(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
