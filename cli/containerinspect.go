package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"nook/lifecycle"
)

// containerInspected is Docker's `container inspect` shape, the fields
// people script on.
type containerInspected struct {
	ID              string           `json:"Id"`
	Created         time.Time        `json:"Created"`
	Path            string           `json:"Path"`
	Args            []string         `json:"Args"`
	State           inspectedState   `json:"State"`
	Image           string           `json:"Image"`
	Name            string           `json:"Name"`
	RestartCount    int              `json:"RestartCount"`
	LogPath         string           `json:"LogPath"`
	HostConfig      inspectedHost    `json:"HostConfig"`
	Config          inspectedCtrConf `json:"Config"`
	NetworkSettings inspectedNet     `json:"NetworkSettings"`
	Mounts          []inspectedMount `json:"Mounts"`
}

type inspectedMount struct {
	Type        string `json:"Type"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
}

type inspectedState struct {
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	Restarting bool      `json:"Restarting"`
	OOMKilled  bool      `json:"OOMKilled"`
	Dead       bool      `json:"Dead"`
	Pid        int       `json:"Pid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
}

type inspectedHost struct {
	AutoRemove    bool                          `json:"AutoRemove"`
	RestartPolicy lifecycle.RestartPolicy       `json:"RestartPolicy"`
	PortBindings  map[string][]inspectedBinding `json:"PortBindings"`
}

type inspectedCtrConf struct {
	Image      string            `json:"Image"`
	Cmd        []string          `json:"Cmd"`
	Labels     map[string]string `json:"Labels"`
	StopSignal string            `json:"StopSignal,omitempty"`
}

type inspectedNet struct {
	Ports map[string][]inspectedBinding `json:"Ports"`
}

type inspectedBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

func inspectContainer(ls *lifecycle.Store, ctr lifecycle.Container) containerInspected {
	out := containerInspected{ID: ctr.ID, Created: ctr.Created, Image: ctr.ImageID, Name: "/" + ctr.Name,
		RestartCount: ctr.Restarts, LogPath: ls.LogPath(ctr.ID), Mounts: []inspectedMount{},
		State: inspectedState{Status: ctr.State, Running: ctr.State == lifecycle.Running, OOMKilled: ctr.OOMKilled,
			Pid: ctr.Pid, ExitCode: ctr.ExitCode, Error: ctr.Error, StartedAt: ctr.StartedAt, FinishedAt: ctr.FinishedAt},
		HostConfig:      inspectedHost{AutoRemove: ctr.AutoRemove, RestartPolicy: ctr.Restart, PortBindings: map[string][]inspectedBinding{}},
		Config:          inspectedCtrConf{Image: ctr.Image, Cmd: ctr.Command, Labels: ctr.Labels, StopSignal: ctr.StopSignal},
		NetworkSettings: inspectedNet{Ports: map[string][]inspectedBinding{}},
	}
	for _, m := range ctr.Mounts {
		mode := "rw"
		if !m.RW {
			mode = "ro"
		}
		out.Mounts = append(out.Mounts, inspectedMount{Type: m.Type, Source: m.Source, Destination: m.Destination, Mode: mode, RW: m.RW})
	}
	if out.Image == "" {
		out.Image = ctr.Image
	}
	if len(ctr.Command) > 0 {
		out.Path, out.Args = ctr.Command[0], ctr.Command[1:]
	}
	for _, p := range ctr.Ports {
		key := strconv.Itoa(int(p.ContainerPort)) + "/" + p.Proto
		b := inspectedBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(int(p.HostPort))}
		out.HostConfig.PortBindings[key] = append(out.HostConfig.PortBindings[key], b)
		if ctr.State == lifecycle.Running {
			out.NetworkSettings.Ports[key] = append(out.NetworkSettings.Ports[key], b)
		}
	}
	return out
}

type inspectCmd struct {
	Names []string `arg:"" placeholder:"CONTAINER|IMAGE" help:"Containers (name, id or id prefix) or images."`
}

// Run prints containers as JSON; a name no container has is looked up as
// an image, as docker inspect does.
func (c *inspectCmd) Run(g *globals) error {
	ls, err := openLifecycle()
	if err != nil {
		return failed(err)
	}
	var out []any
	var errs []error
	for _, name := range c.Names {
		ctr, err := ls.Resolve(name)
		if err == nil {
			out = append(out, inspectContainer(ls, ctr))
			continue
		}
		if !errors.Is(err, lifecycle.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		if i, ierr := inspectImageByName(g, name); ierr == nil {
			out = append(out, i)
			continue
		}
		errs = append(errs, fmt.Errorf("no such container or image: %s", name))
	}
	if out == nil {
		out = []any{}
	}
	b, _ := json.MarshalIndent(out, "", "    ")
	fmt.Fprintf(g.Stdout, "%s\n", b)
	return failed(errors.Join(errs...))
}

func inspectImageByName(g *globals, name string) (inspected, error) {
	st, err := openStore(g)
	if err != nil {
		return inspected{}, err
	}
	defer st.Close()
	return inspectImage(st.Store, name)
}
