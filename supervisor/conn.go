package supervisor

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Conn is one control connection: a SOCK_SEQPACKET socket, one JSON
// message per datagram, descriptors alongside.
type Conn struct {
	c *net.UnixConn
}

const maxMsg = 64 << 10

// Send writes v as one message with files attached.
func (c *Conn) Send(v any, files ...*os.File) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = syscall.UnixRights(fds...)
	}
	if _, _, err := c.c.WriteMsgUnix(b, oob, nil); err != nil {
		return fmt.Errorf("control socket: send: %w", err)
	}
	return nil
}

// Recv reads one message into v and returns the files that came with it
// (the caller closes them).
func (c *Conn) Recv(v any) ([]*os.File, error) {
	b := make([]byte, maxMsg)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := c.c.ReadMsgUnix(b, oob)
	if err != nil {
		return nil, fmt.Errorf("control socket: receive: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("control socket: the other side closed it")
	}
	files, err := filesOf(oob[:oobn])
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b[:n], v); err != nil {
		closeFiles(files)
		return nil, fmt.Errorf("control socket: bad message: %w", err)
	}
	return files, nil
}

// Close ends the connection.
func (c *Conn) Close() error { return c.c.Close() }

func filesOf(oob []byte) ([]*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := syscall.ParseUnixRights(&m)
		if err != nil {
			closeFiles(files)
			return nil, fmt.Errorf("control socket: %w", err)
		}
		for _, fd := range fds {
			syscall.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "passed"))
		}
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
