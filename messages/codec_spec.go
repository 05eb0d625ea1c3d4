package messages

import specs "github.com/opencontainers/runtime-spec/specs-go"

// spec encodes the fields of the runtime spec nook sets (see nook/spec);
// TestCodecCarriesSpec fails when the spec package sets one this forgets.
func (e *encoder) spec(s *specs.Spec) {
	e.str(s.Version)
	e.str(s.Hostname)
	e.str(s.Root.Path)
	e.flag(s.Root.Readonly)
	e.process(s.Process)
	e.u32(uint32(len(s.Mounts)))
	for _, m := range s.Mounts {
		e.str(m.Destination)
		e.str(m.Type)
		e.str(m.Source)
		e.strs(m.Options)
	}
	l := s.Linux
	e.u32(uint32(len(l.Namespaces)))
	for _, ns := range l.Namespaces {
		e.str(string(ns.Type))
		e.str(ns.Path)
	}
	e.idmap(l.UIDMappings)
	e.idmap(l.GIDMappings)
	e.strs(l.MaskedPaths)
	e.strs(l.ReadonlyPaths)
}

func (e *encoder) process(p *specs.Process) {
	if p == nil {
		p = &specs.Process{}
	}
	e.flag(p.Terminal)
	e.flag(p.ConsoleSize != nil)
	if p.ConsoleSize != nil {
		e.u32(uint32(p.ConsoleSize.Height))
		e.u32(uint32(p.ConsoleSize.Width))
	}
	e.str(p.User.Username)
	e.u32(p.User.UID)
	e.u32(p.User.GID)
	e.strs(p.Args)
	e.strs(p.Env)
	e.str(p.Cwd)
	e.flag(p.NoNewPrivileges)
	c := p.Capabilities
	e.flag(c != nil)
	if c != nil {
		for _, l := range [][]string{c.Bounding, c.Effective, c.Permitted, c.Inheritable, c.Ambient} {
			e.strs(l)
		}
	}
}

func (e *encoder) idmap(m []specs.LinuxIDMapping) {
	e.u32(uint32(len(m)))
	for _, r := range m {
		e.u32(r.ContainerID)
		e.u32(r.HostID)
		e.u32(r.Size)
	}
}

func (d *decoder) spec() *specs.Spec {
	s := &specs.Spec{Version: d.str(), Hostname: d.str()}
	s.Root = &specs.Root{Path: d.str(), Readonly: d.flag()}
	s.Process = d.process()
	if n := d.count(16); n > 0 {
		s.Mounts = make([]specs.Mount, n)
		for i := range s.Mounts {
			s.Mounts[i] = specs.Mount{Destination: d.str(), Type: d.str(), Source: d.str(), Options: d.strs()}
		}
	}
	l := &specs.Linux{}
	if n := d.count(8); n > 0 {
		l.Namespaces = make([]specs.LinuxNamespace, n)
		for i := range l.Namespaces {
			l.Namespaces[i] = specs.LinuxNamespace{Type: specs.LinuxNamespaceType(d.str()), Path: d.str()}
		}
	}
	l.UIDMappings = d.idmap()
	l.GIDMappings = d.idmap()
	l.MaskedPaths = d.strs()
	l.ReadonlyPaths = d.strs()
	s.Linux = l
	return s
}

func (d *decoder) process() *specs.Process {
	p := &specs.Process{Terminal: d.flag()}
	if d.flag() {
		p.ConsoleSize = &specs.Box{Height: uint(d.u32()), Width: uint(d.u32())}
	}
	p.User.Username = d.str()
	p.User.UID, p.User.GID = d.u32(), d.u32()
	p.Args = d.strs()
	p.Env = d.strs()
	p.Cwd = d.str()
	p.NoNewPrivileges = d.flag()
	if d.flag() {
		p.Capabilities = &specs.LinuxCapabilities{
			Bounding: d.strs(), Effective: d.strs(), Permitted: d.strs(), Inheritable: d.strs(), Ambient: d.strs(),
		}
	}
	return p
}

func (d *decoder) idmap() []specs.LinuxIDMapping {
	n := d.count(12)
	if n == 0 {
		return nil
	}
	m := make([]specs.LinuxIDMapping, n)
	for i := range m {
		m[i] = specs.LinuxIDMapping{ContainerID: d.u32(), HostID: d.u32(), Size: d.u32()}
	}
	return m
}
