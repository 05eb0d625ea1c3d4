package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/signal"
	"time"

	"nook/lifecycle"
	"nook/logs"
)

type logsCmd struct {
	Follow     bool   `short:"f" help:"Keep printing new output until the container exits."`
	Tail       string `default:"all" placeholder:"N" help:"Only the last N lines (default all)."`
	Since      string `placeholder:"TIME" help:"Only output since TIME (a timestamp, or a duration such as 10m)."`
	Timestamps bool   `short:"t" help:"Prefix each line with its time."`
	Container  string `arg:"" help:"Container (name, id or id prefix)."`
}

func (c *logsCmd) Run(g *globals) error {
	opts := logs.Options{Tail: logs.AllLines, Timestamps: c.Timestamps, Follow: c.Follow}
	if c.Tail != "all" {
		n, err := parseTail(c.Tail)
		if err != nil {
			return failed(err)
		}
		opts.Tail = n
	}
	if c.Since != "" {
		t, err := logs.ParseSince(c.Since, time.Now())
		if err != nil {
			return failed(err)
		}
		opts.Since = t
	}
	ls, ctr, err := resolveContainer(c.Container)
	if err != nil {
		return failed(err)
	}
	opts.Done = func() bool {
		now, err := ls.Get(ctr.ID)
		return err != nil || now.State != lifecycle.Running
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = logs.Read(ctx, ls.LogPath(ctr.ID), opts, g.Stdout, g.Stderr)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // never started: no output yet
	}
	if ctx.Err() != nil {
		return nil
	}
	return failed(err)
}
