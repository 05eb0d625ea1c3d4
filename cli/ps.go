package cli

import (
	"time"

	"nook/lifecycle"
	"nook/listing"
)

type psCmd struct {
	All     bool     `short:"a" help:"Show every container (default: only running ones)."`
	Quiet   bool     `short:"q" help:"Only print container ids."`
	NoTrunc bool     `help:"Do not shorten ids and commands."`
	Filter  []string `short:"f" placeholder:"KEY=VALUE" help:"Filter: status=..., name=..., label=KEY[=VALUE], id=..., exited=CODE."`
	Format  string   `placeholder:"FORMAT" help:"json, a Go template, or 'table TEMPLATE'."`
}

func (c *psCmd) Run(g *globals) error {
	f, err := listing.ParseFilters(c.Filter)
	if err != nil {
		return failed(err)
	}
	if err := listing.CheckFormat(c.Format); err != nil {
		return failed(err)
	}
	ls, err := openLifecycle()
	if err != nil {
		return failed(err)
	}
	ctrs, err := ls.List()
	if err != nil {
		return failed(err)
	}
	rows := make([]listing.Container, 0, len(ctrs))
	for _, ctr := range ctrs {
		rows = append(rows, listed(ctr))
	}
	rows = listing.Select(rows, c.All, f)
	return failed(listing.Write(g.Stdout, rows, listing.Options{Quiet: c.Quiet, NoTrunc: c.NoTrunc, Format: c.Format, Now: time.Now()}))
}

// listed is ctr as ps shows it.
func listed(ctr lifecycle.Container) listing.Container {
	image := ctr.Image
	if image == "" {
		image = ctr.Rootfs
	}
	l := listing.Container{ID: ctr.ID, Name: ctr.Name, Image: image, Command: ctr.Command, Created: ctr.Created,
		StartedAt: ctr.StartedAt, FinishedAt: ctr.FinishedAt, State: ctr.State, ExitCode: ctr.ExitCode,
		Reason: ctr.Error, Labels: ctr.Labels}
	if ctr.State == lifecycle.Running {
		for _, p := range ctr.Ports {
			l.Ports = append(l.Ports, listing.Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Proto: p.Proto})
		}
	}
	return l
}
