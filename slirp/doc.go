// Package slirp is the user-mode network of a container: gVisor's netstack,
// running in the host-side nook process, reads and writes the Ethernet
// frames of a TAP device that lives in the container's network namespace,
// and turns the container's TCP, UDP, ICMP echo and DNS traffic into
// ordinary sockets of the host process.
//
// The layout is slirp4netns': in 10.0.2.0/24 the gateway is .2, the DNS
// forwarder .3 and the container .100. The gateway reaches the host's
// 127.0.0.1 only with Config.AllowHostLoopback; no destination in
// 127.0.0.0/8 is ever forwarded.
//
// gVisor-tap-vsock's virtualnetwork is not used: its gopacket dependency
// costs milliseconds of package inits on every nook start, and nook runs
// twice per container.
package slirp
