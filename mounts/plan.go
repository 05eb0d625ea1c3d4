package mounts

import (
	"fmt"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// File is a small generated file (/etc/hosts, ...) bound over the root's
// copy so that the root directory itself is never modified.
type File struct {
	Path string // inside the container, e.g. /etc/hosts
	Data string
}

// Input is what the plan is made from.
type Input struct {
	Spec *specs.Spec
	// Files are staged in the container's /dev tmpfs, bound over their
	// Path and unlinked, so nothing is left behind on the host.
	Files []File
	// HostRoot says the root is the host's own / (nook sandbox): read-only
	// applies to every mount below it and must come before anything is
	// mounted on top.
	HostRoot bool
}

const stagingDir = "/dev"

// devLinks are the symlinks every Linux userland expects in /dev.
var devLinks = [][2]string{
	{"/proc/self/fd", "/dev/fd"},
	{"/proc/self/fd/0", "/dev/stdin"},
	{"/proc/self/fd/1", "/dev/stdout"},
	{"/proc/self/fd/2", "/dev/stderr"},
	{"/proc/kcore", "/dev/core"},
	{"pts/ptmx", "/dev/ptmx"},
}

// Plan turns the spec into the ordered list of operations the executor runs.
func Plan(in Input) ([]Op, error) {
	s := in.Spec
	if s.Root == nil {
		return nil, fmt.Errorf("spec has no root")
	}
	var ops []Op
	if in.HostRoot && s.Root.Readonly {
		ops = append(ops, Op{Kind: RootReadOnly, Dst: "/", Recursive: true})
	}
	haveDev := false
	for _, m := range s.Mounts {
		op, err := mountOp(m)
		if err != nil {
			return nil, fmt.Errorf("mount %s: %w", m.Destination, err)
		}
		ops = append(ops, op)
		if m.Destination == "/dev" && m.Type == "tmpfs" {
			haveDev = true
			ops = append(ops, linkOps()...)
		}
	}
	if len(in.Files) > 0 && !haveDev {
		return nil, fmt.Errorf("generated files need a tmpfs on /dev to stage them")
	}
	for _, f := range in.Files {
		ops = append(ops, fileOps(f)...)
	}
	if s.Linux != nil {
		for _, p := range s.Linux.MaskedPaths {
			ops = append(ops, Op{Kind: Mask, Dst: path.Clean(p)})
		}
		for _, p := range s.Linux.ReadonlyPaths {
			ops = append(ops, Op{Kind: ReadOnly, Dst: path.Clean(p)})
		}
	}
	if !in.HostRoot && s.Root.Readonly {
		ops = append(ops, Op{Kind: RootReadOnly, Dst: "/"})
	}
	return ops, nil
}

func mountOp(m specs.Mount) (Op, error) {
	if !path.IsAbs(m.Destination) {
		return Op{}, fmt.Errorf("destination must be an absolute path")
	}
	dst := path.Clean(m.Destination)
	flags, data, err := parseOptions(m.Options)
	if err != nil {
		return Op{}, err
	}
	if m.Type == "bind" || hasOption(m.Options, "bind") || hasOption(m.Options, "rbind") {
		return Op{
			Kind: Bind, Src: m.Source, Dst: dst, Make: MakeLikeSrc,
			Recursive: hasOption(m.Options, "rbind"),
			ReadOnly:  hasOption(m.Options, "ro"),
		}, nil
	}
	return Op{Kind: MountFS, Src: m.Source, Dst: dst, FSType: m.Type, Flags: flags, Data: data, Make: MakeDir}, nil
}

func linkOps() []Op {
	ops := make([]Op, 0, len(devLinks))
	for _, l := range devLinks {
		ops = append(ops, Op{Kind: Symlink, Src: l[0], Dst: l[1]})
	}
	return ops
}

func fileOps(f File) []Op {
	staged := path.Join(stagingDir, ".nook-"+path.Base(f.Path))
	return []Op{
		{Kind: WriteFile, Dst: staged, Data: f.Data},
		{Kind: Bind, Src: staged, SrcInRoot: true, Dst: path.Clean(f.Path), Make: MakeFile, IfPossible: true},
		{Kind: Remove, Dst: staged},
	}
}
