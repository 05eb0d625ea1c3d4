package container

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"
	"nook/messages"
	"nook/slirp"
)

// startNetwork hands the init its side of the network (Config.Network)
// right after the clone, in the Network message, and starts the host's
// side in the background: both are done while the id maps are written.
// wait returns the running network (nil without one) or why there is
// none; it must be called, and returns once the init has answered or died.
// Nothing of the network outlives the returned Network's Close.
func (r *Run) startNetwork(sock int) (wait func() (*slirp.Network, error), err error) {
	n := r.Config.Network
	if n == nil {
		return func() (*slirp.Network, error) { return nil, nil }, nil
	}
	cfg, err := slirp.ParseOptions(n.Options)
	if err != nil {
		return nil, failed("%v", err)
	}
	if r.Agent {
		marked := *n
		marked.Mark = publishedMark
		n = &marked
	}
	if err := messages.Send(sock, messages.Msg{Kind: messages.KindNetwork, Network: n}); err != nil {
		return nil, failed("%v", err)
	}
	type started struct {
		nw  *slirp.Network
		err error
	}
	done := make(chan started, 1)
	go func() {
		nw, err := serveTAP(sock, cfg)
		done <- started{nw, err}
	}()
	return func() (*slirp.Network, error) {
		s := <-done
		return s.nw, s.err
	}, nil
}

// serveTAP starts the stack on the TAP device the init sends.
func serveTAP(sock int, cfg slirp.Config) (*slirp.Network, error) {
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
