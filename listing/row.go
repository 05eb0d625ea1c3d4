package listing

import (
	"slices"
	"strings"
	"time"
)

// row is what a --format template sees as "." for one container: the
// fields are methods, as Docker's, so that each is computed only when used.
type row struct {
	c       Container
	now     time.Time
	noTrunc bool
}

func (r row) ID() string {
	if r.noTrunc {
		return r.c.ID
	}
	return shortID(r.c.ID)
}

func (r row) Image() string {
	switch {
	case r.c.Image == "":
		return "<no image>"
	case r.noTrunc:
		return r.c.Image
	}
	return shortImage(r.c.Image)
}

func (r row) Command() string    { return quotedCommand(r.c.Command, r.noTrunc) }
func (r row) CreatedAt() string  { return createdAt(r.c, r.now) }
func (r row) RunningFor() string { return RunningFor(r.c, r.now) }
func (r row) Ports() string      { return FormatPorts(r.c.Ports) }
func (r row) State() string      { return r.c.State }
func (r row) Status() string     { return Status(r.c, r.now) }
func (r row) Names() string      { return r.c.Name }

// Labels are "k=v" joined by commas, sorted so that the output is stable.
func (r row) Labels() string {
	kv := make([]string, 0, len(r.c.Labels))
	for k, v := range r.c.Labels {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

func (r row) Label(key string) string { return r.c.Labels[key] }

// MarshalJSON makes `{{json .}}` print Docker's object of strings, one
// per field, as `docker ps --format '{{json .}}'` does, but with PORTS'
// "->" as it is where Docker writes "-\u003e".
func (r row) MarshalJSON() ([]byte, error) {
	s, err := toJSON(map[string]string{
		"ID": r.ID(), "Image": r.Image(), "Command": r.Command(), "CreatedAt": r.CreatedAt(),
		"RunningFor": r.RunningFor(), "Ports": r.Ports(), "State": r.State(), "Status": r.Status(),
		"Names": r.Names(), "Labels": r.Labels(),
	})
	return []byte(s), err
}

// header is "." for a table's header line: each field is its column name,
// Docker's for every field Docker has.
type header struct{}

func (header) ID() string         { return "CONTAINER ID" }
func (header) Image() string      { return "IMAGE" }
func (header) Command() string    { return "COMMAND" }
func (header) CreatedAt() string  { return "CREATED AT" }
func (header) RunningFor() string { return "CREATED" }
func (header) Ports() string      { return "PORTS" }
func (header) State() string      { return "STATE" }
func (header) Status() string     { return "STATUS" }
func (header) Names() string      { return "NAMES" }
func (header) Labels() string     { return "LABELS" }

// Label names its column after the key: Docker's header has no entry for
// it and leaves the column's heading empty.
func (header) Label(key string) string { return strings.ToUpper(key) }

// fieldNames are the fields a template may use, for error messages.
const fieldNames = `.ID .Image .Command .CreatedAt .RunningFor .Ports .State .Status .Names .Labels .Label "KEY"`
