package registry

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// choose picks the index entry for plat: same os and architecture, and the
// variant when one was asked for (amd64 images carry none, arm ones do).
func choose(entries []v1.Descriptor, plat v1.Platform, ref Ref) (v1.Descriptor, error) {
	var offered []string
	for _, e := range entries {
		if e.Platform == nil {
			continue
		}
		p := *e.Platform
		if p.OS == "unknown" {
			continue // attestations that buildkit stores beside the images
		}
		if p.OS == plat.OS && p.Architecture == plat.Architecture && (plat.Variant == "" || p.Variant == plat.Variant) {
			return e, nil
		}
		offered = append(offered, FormatPlatform(p))
	}
	if len(offered) == 0 {
		return v1.Descriptor{}, fmt.Errorf("%s is an index without any image for a platform", ref)
	}
	return v1.Descriptor{}, fmt.Errorf("%s has no image for %s (it has %s): choose one with --platform", ref, FormatPlatform(plat), strings.Join(offered, ", "))
}
