package netconf

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// ack is the kernel's answer to one request: errno 0 is success.
type ack struct {
	seq   uint32
	errno unix.Errno
}

// parseAcks reads the NLMSG_ERROR messages of one datagram. Anything else
// is skipped: nothing else answers these requests.
func parseAcks(b []byte) ([]ack, error) {
	var acks []ack
	for len(b) > 0 {
		if len(b) < unix.NLMSG_HDRLEN {
			return nil, fmt.Errorf("netlink: truncated message header")
		}
		n := int(binary.NativeEndian.Uint32(b))
		if n < unix.NLMSG_HDRLEN || n > len(b) {
			return nil, fmt.Errorf("netlink: message length %d of %d bytes", n, len(b))
		}
		typ := binary.NativeEndian.Uint16(b[4:])
		seq := binary.NativeEndian.Uint32(b[8:])
		if typ == unix.NLMSG_ERROR {
			if n < unix.NLMSG_HDRLEN+4 {
				return nil, fmt.Errorf("netlink: truncated acknowledgement")
			}
			code := int32(binary.NativeEndian.Uint32(b[unix.NLMSG_HDRLEN:]))
			acks = append(acks, ack{seq: seq, errno: unix.Errno(-code)})
		}
		adv := (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
		if adv > len(b) {
			break
		}
		b = b[adv:]
	}
	return acks, nil
}
