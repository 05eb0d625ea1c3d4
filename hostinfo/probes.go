package hostinfo

// genericUserNSFix is used when the caller cannot say which setting refused.
const genericUserNSFix = "ask the administrator to allow unprivileged user namespaces " +
	"(sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, " +
	"kernel.apparmor_restrict_unprivileged_userns)"

func userNSCheck(e Env) Check {
	const name = "user namespaces"
	if e.Probes.UserNS == nil {
		return ok(name, "not checked")
	}
	err := e.Probes.UserNS()
	if err == nil {
		return ok(name, "ok")
	}
	fix := ""
	if e.ExplainUserNS != nil {
		fix = e.ExplainUserNS(err)
	}
	if fix == "" {
		fix = genericUserNSFix
	}
	return problem(name, "refused: "+err.Error(), fix)
}

func overlayCheck(e Env, userNSWorks bool, kernel string) Check {
	const name = "overlay in userns"
	switch {
	case e.Probes.OverlayInUserNS == nil:
		return ok(name, "not checked")
	case !userNSWorks && e.Probes.UserNS != nil:
		return problem(name, "not checked", "needs user namespaces: fix those first")
	}
	err := e.Probes.OverlayInUserNS()
	if err == nil {
		return ok(name, "ok")
	}
	// Without it nook still runs containers, only with slower layer handling.
	fix := "install fuse-overlayfs, which nook then uses (otherwise it copies layers, which is slower)"
	if !kernelAtLeast(kernel, 5, 11) {
		fix = "overlayfs in a user namespace needs Linux 5.11 or later; until then " + fix
	}
	return problem(name, "refused: "+err.Error(), fix)
}
