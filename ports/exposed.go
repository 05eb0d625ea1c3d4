package ports

import (
	"fmt"
	"sort"
)

// Exposed maps every port an image exposes (its config's ExposedPorts keys:
// "80/tcp", "53/udp", "8080") to a random host port on every address, as
// -P/--publish-all does. Ports already in published are skipped, so an
// explicit -p for the same port wins, as with Docker.
func Exposed(exposed []string, published []Mapping) ([]Mapping, error) {
	taken := map[string]bool{}
	for _, m := range published {
		taken[m.Key()] = true
	}
	var out []Mapping
	for _, k := range exposed {
		ms, err := parse(k)
		if err != nil || ms[0].HostIP.IsValid() || ms[0].HostPort != 0 {
			return nil, fmt.Errorf("the image exposes %q, which is not PORT[/tcp|/udp]", k)
		}
		for _, m := range ms {
			if !taken[m.Key()] {
				taken[m.Key()] = true
				out = append(out, m)
			}
		}
	}
	// ExposedPorts is a JSON object: its order means nothing.
	sort.Slice(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		return out[i].Proto < out[j].Proto
	})
	return out, nil
}
