package cgroups

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// delegateConf is systemd's way to hand the user manager (and so the user) its
// controllers; stock systemd delegates only some of them (pids memory cpu since v252).
const delegateConf = "create /etc/systemd/system/user@.service.d/delegate.conf with " +
	"[Service] Delegate=cpu cpuset io memory pids, then sudo systemctl daemon-reload and log in again"

// Problems explains, one line per cause and each ending with its fix, why the
// wanted controllers could not be used for limits. It returns nil when they can.
func (h Host) Problems(want []string) []string {
	var missing []string
	for _, c := range want {
		if !slices.Contains(h.Delegated, c) && !slices.Contains(missing, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	switch h.Version {
	case None, V1, Hybrid:
		return []string{versionProblem(h)}
	}
	if p := h.placement(); p != "" {
		return []string{p}
	}
	subject := "controller " + missing[0] + " is"
	if len(missing) > 1 {
		subject = "controllers " + strings.Join(missing, ", ") + " are"
	}
	if underUserManager(h.Writable) {
		return []string{subject + " not delegated to you: " + delegateConf}
	}
	if h.Writable == h.Mount {
		// The top of what we can see: whoever set up this cgroup namespace decides.
		return []string{fmt.Sprintf("%s not delegated to you: the cgroup %s is the top of your cgroup "+
			"namespace — ask whoever starts this container to delegate %s to it",
			subject, h.Writable, strings.Join(missing, " "))}
	}
	parent := path.Dir(h.Writable)
	return []string{fmt.Sprintf("%s not delegated to you: the owner of %s must enable it: "+
		"echo '%s' > %s/cgroup.subtree_control",
		subject, parent, plusList(missing), parent)}
}

// placement explains why no cgroup can be made for a container at all,
// limits or not; "" when one can.
func (h Host) placement() string {
	switch {
	case h.Mount == "":
		return versionProblem(h)
	case h.Dir == "":
		return fmt.Sprintf("your cgroup %s is not visible under the cgroup2 mount at %s: "+
			"resource limits need it — mount the cgroup2 file system from your own cgroup namespace "+
			"(in a container: give it a private cgroup namespace)", quoteOwn(h.Own), h.Mount)
	case h.Writable == "":
		return notWritable(h)
	}
	return ""
}

func versionProblem(h Host) string {
	if h.Version == None {
		return "no cgroup file system is mounted: resource limits need cgroup v2 — " +
			"sudo mount -t cgroup2 none /sys/fs/cgroup"
	}
	return fmt.Sprintf("cgroup v2 is not the unified hierarchy on this host (%s): "+
		"resource limits need cgroup v2 — boot with systemd.unified_cgroup_hierarchy=1 "+
		"(without systemd: cgroup_no_v1=all)", layout(h))
}

func layout(h Host) string {
	if h.Version == Hybrid && h.Mount != "" {
		return "hybrid: cgroup v1 plus cgroup2 at " + h.Mount
	}
	return h.Version.String()
}

func notWritable(h Host) string {
	head := fmt.Sprintf("no cgroup from %s up to %s is writable by you: resource limits need a delegated cgroup — ",
		h.Dir, h.Mount)
	switch {
	case h.Own == "/":
		// A cgroup namespace root we cannot write: a container whose runtime
		// mounted cgroupfs read-only (docker's default for unprivileged ones).
		return head + "start this container with a writable, delegated cgroup (e.g. podman, or docker run --privileged)"
	case h.SystemdUserBus:
		return head + "run nook in a delegated scope: systemd-run --user --scope -p Delegate=yes nook ..."
	}
	return head + "start a systemd user manager (sudo loginctl enable-linger $USER, then log in again) " +
		"and run nook under systemd-run --user --scope -p Delegate=yes"
}

// underUserManager is whether p lies in a user@UID.service subtree, which only
// systemd's Delegate= setting can widen.
func underUserManager(p string) bool {
	for _, e := range strings.Split(p, "/") {
		if strings.HasPrefix(e, "user@") && strings.HasSuffix(e, ".service") {
			return true
		}
	}
	return false
}

func plusList(cs []string) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("+" + c)
	}
	return b.String()
}

func quoteOwn(own string) string {
	if own == "" {
		return "(unknown)"
	}
	return own
}
