package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"nook/images"
	"nook/progress"
	"nook/registry"
	"nook/store"
)

type imagesCmd struct {
	Quiet   bool   `short:"q" help:"Print only image IDs."`
	Digests bool   `help:"Show digests."`
	Format  string `placeholder:"json" enum:"table,json" default:"table" help:"Output format: table or json."`
}

// imageLine is one image as `nook images --format json` prints it.
type imageLine struct {
	ID         string    `json:"ID"`
	Names      []string  `json:"Names"`
	Repository string    `json:"Repository"`
	Tag        string    `json:"Tag"`
	Digest     string    `json:"Digest"`
	Config     string    `json:"Config"`
	Created    time.Time `json:"Created"`
	Size       int64     `json:"Size"`
	Platform   string    `json:"Platform"`
}

func (c *imagesCmd) Run(g *globals) error {
	st, err := openStore(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	lines, err := imageLines(st.Store)
	if err != nil {
		return failed(err)
	}
	switch {
	case c.Format == "json":
		if lines == nil {
			lines = []imageLine{}
		}
		b, _ := json.MarshalIndent(lines, "", "  ")
		fmt.Fprintf(g.Stdout, "%s\n", b)
	case c.Quiet:
		seen := map[string]bool{}
		for _, l := range lines {
			if !seen[l.ID] {
				seen[l.ID] = true
				fmt.Fprintln(g.Stdout, l.ID[:12])
			}
		}
	default:
		c.table(g, lines)
	}
	return nil
}

func (c *imagesCmd) table(g *globals, lines []imageLine) {
	w := tabwriter.NewWriter(g.Stdout, 0, 8, 3, ' ', 0)
	head := "REPOSITORY\tTAG\t"
	if c.Digests {
		head += "DIGEST\t"
	}
	fmt.Fprintln(w, head+"IMAGE ID\tCREATED\tSIZE")
	for _, l := range lines {
		row := l.Repository + "\t" + l.Tag + "\t"
		if c.Digests {
			row += l.Digest + "\t"
		}
		fmt.Fprintf(w, "%s%s\t%s\t%s\n", row, l.ID[:12], ago(l.Created), progress.Size(l.Size))
	}
	w.Flush()
}

// imageLines is one line per name, and one for an image without any.
func imageLines(st *store.Store) ([]imageLine, error) {
	imgs, err := st.Images()
	if err != nil {
		return nil, err
	}
	refs, err := st.Refs()
	if err != nil {
		return nil, err
	}
	var out []imageLine
	for _, img := range imgs {
		names := store.NamesIn(refs, img.Digest)
		base := imageLine{ID: img.Digest.Hex(), Names: names, Digest: img.Digest.String(), Config: img.Config.String(),
			Created: img.Created, Size: img.Size, Platform: platformString(img.Platform)}
		if len(names) == 0 {
			base.Repository, base.Tag = "<none>", "<none>"
			out = append(out, base)
		}
		for _, n := range names {
			l := base
			l.Repository, l.Tag = images.SplitName(n)
			out = append(out, l)
		}
	}
	return out, nil
}

func platformString(p store.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ago is Docker's CREATED column: "3 days ago".
func ago(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "Less than a minute ago"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " ago"
	case d < 14*24*time.Hour:
		return plural(int(d.Hours()/24), "day") + " ago"
	case d < 60*24*time.Hour:
		return plural(int(d.Hours()/24/7), "week") + " ago"
	case d < 2*365*24*time.Hour:
		return plural(int(d.Hours()/24/30), "month") + " ago"
	}
	return plural(int(d.Hours()/24/365), "year") + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		if unit == "hour" {
			return "An hour"
		}
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

type tagCmd struct {
	Source string `arg:"" placeholder:"SOURCE" help:"Stored image (name or ID)."`
	Target string `arg:"" placeholder:"TARGET" help:"New name."`
}

func (c *tagCmd) Run(g *globals) error {
	st, err := openStore(g)
	if err != nil {
		return failed(err)
	}
	defer st.Close()
	img, err := images.Find(st.Store, c.Source)
	if err != nil {
		return failed(err)
	}
	ref, err := registry.ParseRef(c.Target)
	if err != nil {
		return failed(err)
	}
	if ref.Digest() != "" {
		return failed(fmt.Errorf("cannot tag with a digest reference %s: a digest names content, give a tag", c.Target))
	}
	return failed(st.Tag(ref.String(), img.Digest))
}

// imageCmd groups the image commands as `nook image ...`.
type imageCmd struct {
	Inspect imageInspectCmd `cmd:"" help:"Show an image's details as JSON."`
	Prune   imagePruneCmd   `cmd:"" help:"Remove unnamed images (all unused ones with -a)."`
	Ls      imagesCmd       `cmd:"" aliases:"list" help:"List stored images."`
	Rm      rmiCmd          `cmd:"" help:"Remove images."`
	Pull    pullCmd         `cmd:"" help:"Pull an image from a registry."`
	Tag     tagCmd          `cmd:"" help:"Give a stored image another name."`
	Load    loadCmd         `cmd:"" help:"Load images from an archive."`
	Save    saveCmd         `cmd:"" help:"Save images to an archive."`
	Import  importCmd       `cmd:"" help:"Make a one-layer image from a rootfs tarball."`
}
