package listing

import "strings"

// shortImage is the IMAGE column without --no-trunc, as Docker shortens
// it: a digest dropped (a tag kept), docker.io's prefixes dropped, an
// image id cut to 12 hex digits.
func shortImage(ref string) string {
	if id, ok := strings.CutPrefix(ref, "sha256:"); ok && isHex(id, 64) {
		return id[:12]
	}
	if isHex(ref, 64) {
		return ref[:12]
	}
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	return familiar(ref)
}

// familiar drops Docker Hub's default domain and its "library/" namespace
// for official images, as Docker's reference.FamiliarString does.
func familiar(ref string) string {
	for _, domain := range []string{"docker.io/", "index.docker.io/"} {
		if rest, ok := strings.CutPrefix(ref, domain); ok {
			ref = rest
			break
		}
	}
	// "library/" stays when it is not the official namespace alone
	// (library/a/b), since dropping it would name another image.
	if rest, ok := strings.CutPrefix(ref, "library/"); ok && !strings.Contains(rest, "/") {
		return rest
	}
	return ref
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// shortID is the 12-digit form Docker shows without --no-trunc.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
