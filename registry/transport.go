package registry

import (
	"fmt"
	"net"
	"net/http"
	"slices"
)

// plainHTTPGuard refuses plain-HTTP requests to registries nobody allowed.
// go-containerregistry falls back to HTTP on its own for private
// (RFC 1918) addresses and *.local names; nook only does so for loopback
// or with --insecure-registry, since a network attacker can answer HTTP.
type plainHTTPGuard struct {
	next    http.RoundTripper
	allowed []string
}

func (g *plainHTTPGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.mayUseHTTP(req.URL.Host) {
		return nil, fmt.Errorf("registry %s answers only over plain HTTP: if you trust the network, pass --insecure-registry %s", req.URL.Host, req.URL.Host)
	}
	return g.next.RoundTrip(req)
}

func (g *plainHTTPGuard) mayUseHTTP(hostport string) bool {
	if slices.Contains(g.allowed, hostport) {
		return true
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if slices.Contains(g.allowed, host) || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
