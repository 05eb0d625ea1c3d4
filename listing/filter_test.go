package listing_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"nook/listing"
)

// names lists what Select keeps of the fixtures.
func names(cs []listing.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestFilters(t *testing.T) {
	for _, tc := range []struct {
		filters []string
		all     bool
		want    []string
	}{
		{nil, false, []string{"range", "web"}},
		{nil, true, []string{"range", "fresh", "web", "db", "job", "going"}},
		// A status filter lists stopped containers without -a, as Docker's.
		{[]string{"status=exited"}, false, []string{"db", "job"}},
		{[]string{"status=exited", "status=created"}, false, []string{"fresh", "db", "job"}},
		{[]string{"status=paused"}, true, nil},
		{[]string{"name=web"}, true, []string{"web"}},
		{[]string{"name=e"}, true, []string{"range", "fresh", "web"}},
		{[]string{"name=^r"}, true, []string{"range"}},
		{[]string{"name=^/db$"}, true, []string{"db"}},
		{[]string{"name=db", "name=job"}, true, []string{"db", "job"}},
		{[]string{"name=["}, true, nil},
		{[]string{"id=aaaa"}, true, []string{"web"}},
		{[]string{"id=" + strings.Repeat("b", 64)}, true, []string{"db"}},
		{[]string{"id=^a", "id=^b"}, true, []string{"web", "db"}},
		{[]string{"label=app"}, true, []string{"web", "job"}},
		{[]string{"label=app=web"}, true, []string{"web"}},
		// Every label given must hold, as Docker's MatchKVList.
		{[]string{"label=app", "label=tier=front"}, true, []string{"web"}},
		{[]string{"label=app=batch", "label=tier"}, true, nil},
		{[]string{"exited=137"}, true, []string{"job"}},
		{[]string{"exited=0", "exited=137"}, true, []string{"db", "job"}},
		// Docker's exited filter alone shows nothing without -a.
		{[]string{"exited=0"}, false, nil},
		{[]string{"status=running", "name=web"}, false, []string{"web"}},
		{[]string{"status=running", "label=app=batch"}, false, nil},
		{[]string{" Name = web "}, true, []string{"web"}},
	} {
		f, err := listing.ParseFilters(tc.filters)
		if err != nil {
			t.Errorf("ParseFilters(%q): %v", tc.filters, err)
			continue
		}
		if got := names(listing.Select(fixtures(), tc.all, f)); !slices.Equal(got, tc.want) {
			t.Errorf("filters %q (all %v) select %q, want %q", tc.filters, tc.all, got, tc.want)
		}
	}
}

func TestFilterZeroMatchesAll(t *testing.T) {
	for _, c := range fixtures() {
		if !(listing.Filter{}).Match(c) {
			t.Errorf("the zero Filter does not match %s", c.Name)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want string // the whole message
	}{
		{"status", `invalid filter "status": give KEY=VALUE, e.g. status=running`},
		{"status=up", `invalid filter "status=up": status is one of created, restarting, running, removing, paused, exited, dead`},
		{"colour=red", `invalid filter "colour=red": unknown key "colour"; the keys are exited, id, label, name, status`},
		{"exited=x", `invalid filter "exited=x": exited takes an exit code, e.g. exited=0`},
	} {
		_, err := listing.ParseFilters([]string{"name=web", tc.arg})
		if err == nil {
			t.Errorf("%q: no error", tc.arg)
			continue
		}
		if !errors.Is(err, listing.ErrInvalidFilter) {
			t.Errorf("%q: %v does not wrap ErrInvalidFilter", tc.arg, err)
		}
		if err.Error() != tc.want || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error\n %s\nwant\n %s", tc.arg, err, tc.want)
		}
	}
}
