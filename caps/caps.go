// Package caps names Linux capabilities, resolves Docker's --cap-add and
// --cap-drop semantics into a set, and applies capability sets to the
// calling thread just before execve.
//
// It runs inside the container's namespaces, so it imports only the
// standard library, golang.org/x/sys/unix and runtime-spec.
package caps

// Caps are the five capability sets of a process, as runtime-spec's
// LinuxCapabilities lists them.
type Caps struct {
	Bounding    Set
	Effective   Set
	Permitted   Set
	Inheritable Set
	Ambient     Set
}
