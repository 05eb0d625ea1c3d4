package container

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"
	"nook/messages"
	"nook/slirp"
)

// startNetwork starts the user-mode network of a container with one
// (Config.Network): the init sends the TAP device it made before anything
// else, and the stack serves it from this process until Close. Nothing of
// the network outlives the returned Network's Close.
func (r *Run) startNetwork(sock int) (*slirp.Network, error) {
	n := r.Config.Network
	if n == nil {
		return nil, nil
	}
	cfg, err := slirp.ParseOptions(n.Options)
	if err != nil {
		return nil, failed("%v", err)
	}
	fd, err := receiveTAP(sock)
	if err != nil {
		return nil, err
	}
	nw, err := slirp.Start(fd, cfg)
	if err != nil {
		return nil, failed("start the network: %v", err)
	}
	return nw, nil
}

// receiveTAP reads the init's first message: the TAP device, or why it
// could not make one.
func receiveTAP(sock int) (int, error) {
	m, fds, err := messages.Recv(sock)
	if errors.Is(err, io.EOF) {
		return -1, failed("the container's init exited before it handed over the network")
	}
	if err != nil {
		return -1, failed("receive the network device: %v", err)
	}
	if m.Kind == messages.KindTAP && len(fds) == 1 {
		return fds[0], nil
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	if m.Kind == messages.KindFailed {
		return -1, &Error{Code: m.Code, Msg: m.Error}
	}
	return -1, failed("the container's init sent %q with %d descriptors before the network device", m.Kind, len(fds))
}
