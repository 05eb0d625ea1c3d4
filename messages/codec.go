package messages

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"nook/mounts"
)

// The wire format is a hand-written binary encoding of exactly the parts of
// the spec nook uses. encoding/json would be simpler, but its first use
// compiles encoders for the whole runtime-spec type graph: ~0.5 ms on each
// side of a container start that takes a few.

type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }

func (e *encoder) flag(v bool) {
	if v {
		e.b = append(e.b, 1)
		return
	}
	e.b = append(e.b, 0)
}

func (e *encoder) str(s string) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) strs(l []string) {
	e.u32(uint32(len(l)))
	for _, s := range l {
		e.str(s)
	}
}

type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("message truncated")

func (d *decoder) u32() uint32 {
	if len(d.b) < 4 {
		d.err = errShort
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) flag() bool {
	if len(d.b) < 1 {
		d.err = errShort
		return false
	}
	v := d.b[0] != 0
	d.b = d.b[1:]
	return v
}

func (d *decoder) str() string {
	n := d.u32()
	if uint32(len(d.b)) < n {
		d.err = errShort
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	// Each string takes at least its length's 4 bytes: a count the message
	// cannot hold is refused before anything is allocated for it.
	n := d.count(4)
	if n == 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = d.str()
	}
	return l
}

// count reads a list length, bounded by what the message can still hold.
func (d *decoder) count(min int) int {
	n := int(d.u32())
	if n*min > len(d.b) {
		d.err = errShort
		return 0
	}
	return n
}

func encodeMsg(m Msg) []byte {
	e := &encoder{b: make([]byte, 0, 4096)}
	e.str(string(m.Kind))
	e.str(m.Error)
	e.u32(uint32(m.Code))
	e.flag(m.Config != nil)
	if m.Config != nil {
		e.config(m.Config)
	}
	e.network(m.Network)
	e.exec(m.Exec)
	return e.b
}

func decodeMsg(b []byte) (Msg, error) {
	d := &decoder{b: b}
	m := Msg{Kind: Kind(d.str()), Error: d.str(), Code: int(d.u32())}
	if d.flag() {
		m.Config = d.config()
	}
	m.Network = d.network()
	m.Exec = d.exec()
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	return m, d.err
}

func (e *encoder) config(c *Config) {
	e.flag(c.HostRoot)
	e.flag(c.Init)
	e.flag(c.Stdin)
	e.flag(c.Seccomp)
	e.flag(c.Debug)
	e.str(c.IDNote)
	e.u32(uint32(len(c.Files)))
	for _, f := range c.Files {
		e.str(f.Path)
		e.str(f.Data)
	}
	e.overlay(c.Overlay)
	e.spec(c.Spec)
}

func (e *encoder) network(n *NetworkConfig) {
	e.flag(n != nil)
	if n != nil {
		e.str(n.TAP)
		e.str(n.Address.String())
		e.str(n.Gateway.String())
		e.u32(uint32(n.MTU))
		e.str(text(n.Address6))
		e.str(text(n.Gateway6))
		e.str(n.Options)
		e.u32(n.Mark)
	}
}

func (d *decoder) network() *NetworkConfig {
	if !d.flag() {
		return nil
	}
	n := &NetworkConfig{TAP: d.str()}
	addr, gw := d.str(), d.str()
	n.MTU = int(d.u32())
	addr6, gw6 := d.str(), d.str()
	n.Options = d.str()
	n.Mark = d.u32()
	if d.err != nil {
		return nil
	}
	var err error
	if n.Address, err = netip.ParsePrefix(addr); err != nil {
		d.err = fmt.Errorf("network address: %w", err)
	}
	if n.Gateway, err = netip.ParseAddr(gw); err != nil {
		d.err = fmt.Errorf("network gateway: %w", err)
	}
	if addr6 != "" {
		if n.Address6, err = netip.ParsePrefix(addr6); err != nil {
			d.err = fmt.Errorf("network IPv6 address: %w", err)
		}
	}
	if gw6 != "" {
		if n.Gateway6, err = netip.ParseAddr(gw6); err != nil {
			d.err = fmt.Errorf("network IPv6 gateway: %w", err)
		}
	}
	return n
}

// text is v as text, "" for the zero value (whose String is "invalid ...").
func text[T interface {
	IsValid() bool
	String() string
}](v T) string {
	if !v.IsValid() {
		return ""
	}
	return v.String()
}

func (e *encoder) overlay(o *mounts.Overlay) {
	e.flag(o != nil)
	if o != nil {
		e.strs(o.Lower)
		e.str(o.Upper)
		e.str(o.Work)
	}
}

func (d *decoder) overlay() *mounts.Overlay {
	if !d.flag() {
		return nil
	}
	return &mounts.Overlay{Lower: d.strs(), Upper: d.str(), Work: d.str()}
}

func (d *decoder) config() *Config {
	c := &Config{HostRoot: d.flag(), Init: d.flag(), Stdin: d.flag(), Seccomp: d.flag(), Debug: d.flag(), IDNote: d.str()}
	if n := d.count(8); n > 0 {
		c.Files = make([]mounts.File, n)
		for i := range c.Files {
			c.Files[i] = mounts.File{Path: d.str(), Data: d.str()}
		}
	}
	c.Overlay = d.overlay()
	c.Spec = d.spec()
	return c
}
