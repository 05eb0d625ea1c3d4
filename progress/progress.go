// Package progress shows a pull's layers: bars with bytes, rate and ETA on a
// terminal (github.com/vbauerster/mpb), one line per finished layer
// otherwise, nothing when quiet.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"nook/images"
)

// Mode chooses how progress is shown.
type Mode int

const (
	Lines Mode = iota // one line per layer when it completes (logs, CI)
	Bars              // live bars (a terminal)
	Quiet             // nothing
)

// Shower implements images.Progress.
type Shower struct {
	mode Mode
	w    io.Writer
	mu   sync.Mutex // orders Lines output
	bars *mpb.Progress
}

// New shows progress on w.
func New(w io.Writer, mode Mode) *Shower {
	s := &Shower{mode: mode, w: w}
	if mode == Bars {
		s.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
	}
	return s
}

// Wait lets the bars draw their final state; call it before printing more.
func (s *Shower) Wait() {
	if s.bars != nil {
		s.bars.Wait()
	}
}

// Layer starts following one layer.
func (s *Shower) Layer(blob string, size int64) images.LayerProgress {
	name := Short(blob)
	switch s.mode {
	case Bars:
		return s.bar(name, size)
	case Lines:
		return &line{s: s, name: name, size: size}
	}
	return quiet{}
}

// Short is the 12 hex digits Docker shows for a digest.
func Short(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

type quiet struct{}

func (quiet) Add(int)     {}
func (quiet) Retry()      {}
func (quiet) Done(string) {}

// line prints one line when its layer is done.
type line struct {
	s       *Shower
	name    string
	size    int64
	start   time.Time
	n       int64
	retries int
}

func (l *line) Add(n int) {
	if l.start.IsZero() {
		l.start = time.Now()
	}
	l.n += int64(n)
}

func (l *line) Retry() { l.retries++; l.n = 0 }

func (l *line) Done(status string) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	msg := fmt.Sprintf("%s: %s", l.name, status)
	if l.n > 0 {
		msg += fmt.Sprintf(" (%s in %.1fs)", Size(l.n), time.Since(l.start).Seconds())
	}
	if l.retries > 0 {
		msg += fmt.Sprintf(", after %d retries", l.retries)
	}
	fmt.Fprintln(l.s.w, msg)
}

// Size formats bytes as Docker does: 1000-based, three significant digits.
func Size(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// bar is a live bar; its status shows in place of the ETA once done.
type bar struct {
	b      *mpb.Bar
	mu     sync.Mutex
	status string
}

func (s *Shower) bar(name string, size int64) *bar {
	b := &bar{}
	b.b = s.bars.AddBar(size,
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace}),
			decor.Counters(decor.SizeB1000(0), "% .1f / % .1f", decor.WCSyncWidth)),
		mpb.AppendDecorators(
			decor.OnComplete(decor.AverageSpeed(decor.SizeB1000(0), "% .1f", decor.WCSyncWidth), ""),
			decor.Any(func(st decor.Statistics) string {
				if st.Completed || st.Aborted {
					return b.done()
				}
				return ""
			}, decor.WCSyncSpaceR),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO), ""),
		),
	)
	return b
}

func (b *bar) done() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status
}

func (b *bar) Add(n int) { b.b.IncrBy(n) }

func (b *bar) Retry() { b.b.SetCurrent(0) }

func (b *bar) Done(status string) {
	b.mu.Lock()
	b.status = status
	b.mu.Unlock()
	if status == "failed" {
		b.b.Abort(false)
		return
	}
	b.b.SetTotal(-1, true)
}
