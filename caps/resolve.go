package caps

// Resolve turns --cap-add and --cap-drop lists into the container's set,
// with Docker's semantics (moby's TweakCapabilities):
//
//   - add contains ALL: every capability except those named in drop;
//   - otherwise drop contains ALL: exactly the capabilities in add;
//   - otherwise: Default minus drop, plus add (a name in both lists stays).
//
// A name may be written "NET_ADMIN" or "CAP_NET_ADMIN" in any case. Every name
// is checked before any is applied, so a typo is reported even when ALL
// would have made it irrelevant.
func Resolve(add, drop []string) (Set, error) {
	addSet, addAll, err := parseList(add)
	if err != nil {
		return 0, err
	}
	dropSet, dropAll, err := parseList(drop)
	if err != nil {
		return 0, err
	}
	switch {
	case addAll:
		// Docker ignores an ALL in drop here: --cap-add ALL --cap-drop ALL
		// grants everything.
		return All &^ dropSet, nil
	case dropAll:
		return addSet, nil
	default:
		return Default&^dropSet | addSet, nil
	}
}

// FromNames converts a capability list, such as one of runtime-spec's, into
// a Set. Unknown names are an error rather than silently skipped: a spec that
// asks for a capability nook cannot grant should not start. "ALL" stands for
// every capability.
func FromNames(list []string) (Set, error) {
	s, all, err := parseList(list)
	if all {
		return All, err
	}
	return s, err
}

func parseList(list []string) (s Set, all bool, err error) {
	for _, name := range list {
		if isAll(name) {
			all = true
			continue
		}
		c, err := Parse(name)
		if err != nil {
			return 0, false, err
		}
		s.Add(c)
	}
	return s, all, nil
}
