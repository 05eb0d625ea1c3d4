package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"nook/images"
	"nook/store"
)

type imageInspectCmd struct {
	Images []string `arg:"" placeholder:"IMAGE" help:"Names or IDs."`
}

// inspected is Docker's `image inspect` shape, the fields people script on.
type inspected struct {
	ID           string          `json:"Id"`
	RepoTags     []string        `json:"RepoTags"`
	RepoDigests  []string        `json:"RepoDigests"`
	Created      time.Time       `json:"Created"`
	Architecture string          `json:"Architecture"`
	Variant      string          `json:"Variant,omitempty"`
	Os           string          `json:"Os"`
	Config       inspectedConfig `json:"Config"`
	RootFS       inspectedRootFS `json:"RootFS"`
	Size         int64           `json:"Size"`
	ConfigDigest string          `json:"ConfigDigest"`
}

type inspectedConfig struct {
	Entrypoint   []string            `json:"Entrypoint"`
	Cmd          []string            `json:"Cmd"`
	Env          []string            `json:"Env"`
	WorkingDir   string              `json:"WorkingDir"`
	User         string              `json:"User"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Labels       map[string]string   `json:"Labels"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	Volumes      map[string]struct{} `json:"Volumes,omitempty"`
}

type inspectedRootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

func (c *imageInspectCmd) Run(g *globals) error {
	st, err := openStore(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	out := []inspected{}
	var errs []error
	for _, arg := range c.Images {
		i, err := inspectImage(st.Store, arg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, i)
	}
	b, _ := json.MarshalIndent(out, "", "    ")
	fmt.Fprintf(g.Stdout, "%s\n", b)
	return failed(errors.Join(errs...))
}

func inspectImage(st *store.Store, arg string) (inspected, error) {
	img, err := images.Find(st, arg)
	if err != nil {
		return inspected{}, err
	}
	cf, err := images.Config(st, img)
	if err != nil {
		return inspected{}, err
	}
	names, err := st.NamesOf(img.Digest)
	if err != nil {
		return inspected{}, err
	}
	i := inspected{ID: img.Digest.String(), RepoTags: []string{}, RepoDigests: []string{}, Created: cf.Created.Time,
		Architecture: cf.Architecture, Variant: cf.Variant, Os: cf.OS, Size: img.Size, ConfigDigest: img.Config.String(),
		Config: configOf(cf.Config), RootFS: inspectedRootFS{Type: "layers"}}
	for _, n := range names {
		repo, tag := images.SplitName(n)
		if tag != "<none>" {
			i.RepoTags = append(i.RepoTags, n)
		}
		i.RepoDigests = append(i.RepoDigests, repo+"@"+img.Digest.String())
	}
	for _, d := range cf.RootFS.DiffIDs {
		i.RootFS.Layers = append(i.RootFS.Layers, d.String())
	}
	return i, nil
}

func configOf(c v1.Config) inspectedConfig {
	return inspectedConfig{Entrypoint: c.Entrypoint, Cmd: c.Cmd, Env: c.Env, WorkingDir: c.WorkingDir, User: c.User,
		ExposedPorts: c.ExposedPorts, Labels: c.Labels, StopSignal: c.StopSignal, Volumes: c.Volumes}
}
