package listing

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalidFilter is what every ParseFilters error wraps.
var ErrInvalidFilter = errors.New("invalid filter")

// filterKeys are the --filter keys nook knows, in the order errors list them.
var filterKeys = []string{"exited", "id", "label", "name", "status"}

// statuses are the values Docker's status filter accepts, in its order.
var statuses = []string{"created", "restarting", "running", "removing", "paused", "exited", "dead"}

// Filter is a parsed set of --filter flags. As Docker's, the values of one
// key are alternatives and different keys must all hold, except label:
// every label given must be present (Docker's MatchKVList). The zero
// Filter matches every container.
type Filter struct {
	ids, names []pattern
	labels     []string // "key" or "key=value"
	statuses   []string
	exited     []int
}

// pattern is a name or id filter value: Docker matches the value itself or
// as an unanchored regular expression, so "web" matches "my-web-1" and
// "^web$" only "web". A value that is no valid expression matches only
// itself, where Docker would silently match nothing but the exact value too.
type pattern struct {
	text string
	re   *regexp.Regexp
}

func (p pattern) match(s string) bool {
	return s == p.text || (p.re != nil && p.re.MatchString(s))
}

// ParseFilters parses --filter KEY=VALUE flags (keys as Docker's ps:
// exited, id, label, name, status).
func ParseFilters(args []string) (Filter, error) {
	var f Filter
	for _, arg := range args {
		if err := f.add(arg); err != nil {
			return Filter{}, err
		}
	}
	return f, nil
}

func (f *Filter) add(arg string) error {
	key, value, ok := strings.Cut(arg, "=")
	if !ok {
		return fmt.Errorf("%w %q: give KEY=VALUE, e.g. status=running", ErrInvalidFilter, arg)
	}
	// Docker forgives case in the key and spaces around both.
	key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
	switch key {
	case "id":
		f.ids = append(f.ids, newPattern(value))
	case "name":
		f.names = append(f.names, newPattern(value))
	case "label":
		f.labels = append(f.labels, value)
	case "status":
		if !slices.Contains(statuses, value) {
			return fmt.Errorf("%w %q: status is one of %s", ErrInvalidFilter, arg, strings.Join(statuses, ", "))
		}
		f.statuses = append(f.statuses, value)
	case "exited":
		code, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%w %q: exited takes an exit code, e.g. exited=0", ErrInvalidFilter, arg)
		}
		f.exited = append(f.exited, code)
	default:
		return fmt.Errorf("%w %q: unknown key %q; the keys are %s", ErrInvalidFilter, arg, key, strings.Join(filterKeys, ", "))
	}
	return nil
}

func newPattern(s string) pattern {
	re, _ := regexp.Compile(s) // nil when invalid: only s itself matches
	return pattern{text: s, re: re}
}

// Match reports whether c passes every filter.
func (f Filter) Match(c Container) bool {
	return matchAny(f.ids, c.ID) &&
		// Docker's names start with "/", and its filter tries both forms.
		(matchAny(f.names, c.Name) || matchAny(f.names, "/"+c.Name)) &&
		f.matchLabels(c.Labels) &&
		(len(f.statuses) == 0 || slices.Contains(f.statuses, c.State)) &&
		(len(f.exited) == 0 || (c.State == StateExited && slices.Contains(f.exited, c.ExitCode)))
}

// ShowsAll reports whether the filter lists stopped containers without
// -a: Docker's status filter does, its exited filter does not.
func (f Filter) ShowsAll() bool { return len(f.statuses) > 0 }

func matchAny(ps []pattern, s string) bool {
	if len(ps) == 0 {
		return true
	}
	return slices.ContainsFunc(ps, func(p pattern) bool { return p.match(s) })
}

func (f Filter) matchLabels(labels map[string]string) bool {
	for _, l := range f.labels {
		key, want, hasValue := strings.Cut(l, "=")
		got, ok := labels[key]
		if !ok || (hasValue && got != want) {
			return false
		}
	}
	return true
}

// Select is what ps lists: the containers f matches, only running ones
// unless all (or a status filter), newest first.
func Select(cs []Container, all bool, f Filter) []Container {
	var out []Container
	for _, c := range cs {
		if (all || f.ShowsAll() || c.running()) && f.Match(c) {
			out = append(out, c)
		}
	}
	sortNewestFirst(out)
	return out
}

// sortNewestFirst is Docker's order; equal times (one-second records) fall
// back to the id so that the order is the same on every call.
func sortNewestFirst(cs []Container) {
	slices.SortStableFunc(cs, func(a, b Container) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
