package registry

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options say how to reach registries.
type Options struct {
	// Platform is os/arch[/variant]; empty: this host's.
	Platform string
	// Insecure lists registries (host[:port]) that may be reached over
	// plain HTTP. Loopback registries always may.
	Insecure []string
	// Keychain finds credentials; nil: ~/.docker/config.json ($DOCKER_CONFIG),
	// $REGISTRY_AUTH_FILE, podman's auth.json, with credential helpers.
	Keychain authn.Keychain
	// Transport is the HTTP transport (tests); nil: http.DefaultTransport.
	Transport http.RoundTripper
}

// Image is an image found in a registry: its manifest, config and layers
// are fetched through Image, lazily.
type Image struct {
	Ref   Ref // as asked for
	Image v1.Image
	// Index is the multi-platform index the image was chosen from, if the
	// reference named one.
	Index          []byte
	IndexMediaType string
	Platform       v1.Platform
}

// Fetch resolves ref to one image: for an index, the entry for the
// platform asked for.
func Fetch(ctx context.Context, ref Ref, o Options) (*Image, error) {
	plat, err := ParsePlatform(o.Platform)
	if err != nil {
		return nil, err
	}
	if o.allowsHTTP(ref.Registry()) {
		ref = ref.allowHTTP()
	}
	opts := o.remote(ctx, ref, plat)
	desc, err := remote.Get(ref.Name(), opts...)
	if err != nil {
		return nil, Explain(ref, "", err)
	}
	im := &Image{Ref: ref, Platform: plat}
	switch {
	case desc.MediaType.IsIndex():
		err = im.fromIndex(desc, opts)
	case desc.MediaType.IsImage():
		im.Image, err = desc.Image()
	case desc.MediaType == types.DockerManifestSchema1 || desc.MediaType == types.DockerManifestSchema1Signed:
		return nil, fmt.Errorf("%s is a Docker schema 1 image, which registries stopped serving in 2019: push it again with a current Docker or podman", ref)
	default:
		return nil, notImage(ref, string(desc.MediaType))
	}
	if err != nil {
		return nil, Explain(ref, "", err)
	}
	return im, im.checkConfig()
}

func (im *Image) fromIndex(desc *remote.Descriptor, opts []remote.Option) error {
	idx, err := desc.ImageIndex()
	if err != nil {
		return err
	}
	if im.Index, err = idx.RawManifest(); err != nil {
		return err
	}
	im.IndexMediaType = string(desc.MediaType)
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	entry, err := choose(m.Manifests, im.Platform, im.Ref)
	if err != nil {
		return err
	}
	child, err := im.Ref.WithDigest(entry.Digest.String())
	if err != nil {
		return err
	}
	if entry.Platform != nil {
		im.Platform = *entry.Platform
	}
	im.Image, err = remote.Image(child.Name(), opts...)
	return err
}

// checkConfig refuses artifacts (Helm charts, signatures, ...) whose
// manifest looks like an image's but whose config is not one.
func (im *Image) checkConfig() error {
	m, err := im.Image.Manifest()
	if err != nil {
		return Explain(im.Ref, "", err)
	}
	switch m.Config.MediaType {
	case types.DockerConfigJSON, types.OCIConfigJSON, "":
		return nil
	}
	return notImage(im.Ref, string(m.Config.MediaType))
}

func notImage(ref Ref, mediaType string) error {
	return fmt.Errorf("%s is not a container image (media type %s): nook can only run images", ref, mediaType)
}

func (o Options) remote(ctx context.Context, ref Ref, plat v1.Platform) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	base := o.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithPlatform(plat),
		remote.WithTransport(&plainHTTPGuard{next: base, allowed: o.Insecure}),
		remote.WithUserAgent("nook"),
		// The default waits 1 s then 3 s before telling the user that
		// a registry is down; a retry is for a blip, not an outage.
		remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: 3}),
	}
}

// allowsHTTP reports whether the user allowed plain HTTP to reg.
func (o Options) allowsHTTP(reg string) bool {
	g := plainHTTPGuard{allowed: o.Insecure}
	return slices.Contains(o.Insecure, reg) || g.mayUseHTTP(reg)
}

// ParsePlatform reads os/arch[/variant]; empty means this host.
func ParsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant], e.g. linux/arm64", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// FormatPlatform is os/arch[/variant].
func FormatPlatform(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
