// Package mounts assembles a container's filesystem: a plan of operations
// built from the runtime spec (data, printable with --debug, unit-tested) and
// one small executor that applies it inside the container's mount namespace.
package mounts

import (
	"fmt"
	"strings"
)

// Kind names one filesystem operation.
type Kind int

const (
	// MountFS mounts a new filesystem (proc, tmpfs, devpts, ...) at Dst.
	MountFS Kind = iota
	// Bind binds the host path Src (or, with SrcInRoot, a path inside the
	// new root) at Dst.
	Bind
	// Mask hides Dst: /dev/null over a file, an empty read-only tmpfs over
	// a directory. A missing Dst is not an error.
	Mask
	// ReadOnly re-binds Dst read-only. A missing Dst is not an error.
	ReadOnly
	// Symlink creates Dst pointing at Src.
	Symlink
	// WriteFile writes Data to Dst (always inside a tmpfs nook mounted).
	WriteFile
	// Remove unlinks Dst.
	Remove
	// RootReadOnly makes the root mount read-only (Recursive: with every
	// mount below it).
	RootReadOnly
)

// Make says what to create when a mount point is missing.
type Make int

const (
	MakeNone Make = iota
	MakeDir
	MakeFile
	// MakeLikeSrc creates a directory or a file, whichever the source is.
	MakeLikeSrc
)

// Op is one step of the plan. Paths in Dst are absolute paths inside the
// container; they are always resolved inside the new root.
type Op struct {
	Kind      Kind
	Src       string
	Dst       string
	FSType    string
	Flags     uintptr
	Data      string
	Make      Make
	Recursive bool
	ReadOnly  bool
	SrcInRoot bool
	// IfPossible skips a bind whose mount point is missing and cannot be
	// created because the root is read-only or not writable to the
	// container's root: a generated /etc/hosts is a convenience, not worth
	// refusing a read-only rootfs over.
	IfPossible bool
}

func (o Op) String() string {
	switch o.Kind {
	case MountFS:
		return fmt.Sprintf("mount %s on %s (%s)", o.FSType, o.Dst, flagString(o.Flags, o.Data))
	case Bind:
		src := o.Src
		if o.SrcInRoot {
			src = "root:" + src
		}
		return fmt.Sprintf("bind %s on %s (%s)", src, o.Dst, bindMode(o))
	case Mask:
		return "mask " + o.Dst
	case ReadOnly:
		return "read-only " + o.Dst
	case Symlink:
		return fmt.Sprintf("symlink %s -> %s", o.Dst, o.Src)
	case WriteFile:
		return fmt.Sprintf("write %s (%d bytes)", o.Dst, len(o.Data))
	case Remove:
		return "remove " + o.Dst
	case RootReadOnly:
		if o.Recursive {
			return "read-only / (recursive)"
		}
		return "read-only /"
	}
	return fmt.Sprintf("op %d", o.Kind)
}

func bindMode(o Op) string {
	parts := []string{"rw"}
	if o.ReadOnly {
		parts[0] = "ro"
	}
	if o.Recursive {
		parts = append(parts, "rbind")
	}
	return strings.Join(parts, ",")
}
