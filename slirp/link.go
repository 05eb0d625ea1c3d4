package slirp

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/rawfile"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// tapLink is the stack's Ethernet link over a TAP fd (IFF_TAP|IFF_NO_PI),
// or over any fd that keeps frame boundaries (a SOCK_SEQPACKET socketpair
// in the tests).
//
// gVisor's fdbased endpoint is not used: it leaks an eventfd per endpoint
// (its dispatchers' stop fds are never closed) and stops reading for good at
// the first runt frame. Here one goroutine reads through Go's poller, so
// closing the file is what stops it.
type tapLink struct {
	file *os.File
	raw  syscall.RawConn
	mtu  uint32
	addr tcpip.LinkAddress
	// rxChecksumOK skips checksum verification of received frames: they
	// come from the container's kernel over memory and cannot be corrupted.
	rxChecksumOK bool

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	wg         sync.WaitGroup
}

const (
	// frameBuf holds the largest frame: maxMTU plus the Ethernet header
	// fits one pooled 64 KiB chunk.
	frameBuf = maxMTU + header.EthernetMinimumSize
	// smallFrame is the size below which a received frame is copied out of
	// its 64 KiB buffer, so an ACK queued in the stack does not pin one.
	smallFrame = 2048
)

func newTapLink(fd int, mtu int, mac tcpip.LinkAddress) (*tapLink, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("slirp: tap fd %d: set non-blocking: %w", fd, err)
	}
	// A non-blocking fd given to os.NewFile joins Go's poller.
	f := os.NewFile(uintptr(fd), "tap")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("slirp: tap fd %d: %w", fd, err)
	}
	return &tapLink{file: f, raw: raw, mtu: uint32(mtu), addr: mac, rxChecksumOK: true}, nil
}

// close stops the reader and closes the fd; the poller defers the close(2)
// until the reader's current read has returned.
func (l *tapLink) close() error {
	err := l.file.Close()
	l.wg.Wait()
	return err
}

func (l *tapLink) MTU() uint32                             { return l.mtu }
func (l *tapLink) SetMTU(mtu uint32)                       { l.mtu = mtu }
func (l *tapLink) MaxHeaderLength() uint16                 { return header.EthernetMinimumSize }
func (l *tapLink) LinkAddress() tcpip.LinkAddress          { return l.addr }
func (l *tapLink) SetLinkAddress(a tcpip.LinkAddress)      { l.addr = a }
func (l *tapLink) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }
func (l *tapLink) Close()                                  {}
func (l *tapLink) SetOnCloseAction(func())                 {}
func (l *tapLink) Wait()                                   {}

func (l *tapLink) Capabilities() stack.LinkEndpointCapabilities {
	c := stack.CapabilityResolutionRequired
	if l.rxChecksumOK {
		c |= stack.CapabilityRXChecksumOffload
	}
	return c
}

// Attach starts the reader on the first attach; a nil dispatcher (the NIC
// being removed) only detaches, the reader ends when the file is closed.
func (l *tapLink) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := l.dispatcher == nil && d != nil
	l.dispatcher = d
	if start {
		l.wg.Add(1)
		go l.readLoop()
	}
}

func (l *tapLink) IsAttached() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dispatcher != nil
}

func (l *tapLink) AddHeader(pkt *stack.PacketBuffer) {
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	eth.Encode(&header.EthernetFields{
		SrcAddr: pkt.EgressRoute.LocalLinkAddress,
		DstAddr: pkt.EgressRoute.RemoteLinkAddress,
		Type:    pkt.NetworkProtocolNumber,
	})
}

func (l *tapLink) ParseHeader(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	return ok
}

func (l *tapLink) readLoop() {
	defer l.wg.Done()
	for {
		v, err := l.readFrame()
		if err != nil {
			return
		}
		if v != nil {
			l.deliver(v)
		}
	}
}

// readFrame returns the next frame, nil for a frame to ignore, or the error
// that ends the loop (the file closed, or the peer gone).
func (l *tapLink) readFrame() (*buffer.View, error) {
	v := buffer.NewViewSize(frameBuf)
	b := v.AsSlice()
	var n int
	var errno error
	err := l.raw.Read(func(fd uintptr) bool {
		n, errno = unix.Read(int(fd), b)
		return errno != unix.EAGAIN
	})
	if err == nil {
		err = errno
	}
	if err == nil && n == 0 {
		err = errors.New("end of file")
	}
	if err != nil {
		v.Release()
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ENOBUFS) {
			return nil, nil
		}
		return nil, err
	}
	if n < header.EthernetMinimumSize {
		v.Release()
		return nil, nil
	}
	if n <= smallFrame {
		small := buffer.NewViewWithData(b[:n])
		v.Release()
		return small, nil
	}
	v.CapLength(n)
	return v, nil
}

func (l *tapLink) deliver(v *buffer.View) {
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithView(v)})
	defer pkt.DecRef()
	hdr, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	if !ok {
		return
	}
	eth := header.Ethernet(hdr)
	dst := eth.DestinationAddress()
	switch {
	case dst == l.addr:
		pkt.PktType = tcpip.PacketHost
	case dst[0]&1 == 1: // broadcast or multicast
		pkt.PktType = tcpip.PacketBroadcast
	default:
		return
	}
	pkt.NetworkProtocolNumber = eth.Type()
	l.mu.RLock()
	d := l.dispatcher
	l.mu.RUnlock()
	if d != nil {
		d.DeliverNetworkPacket(eth.Type(), pkt)
	}
}

// WritePackets writes each frame with one writev. A TAP never blocks a
// writer; a full socket drops the frame (TCP retransmits), as a NIC would,
// rather than stall the stack's goroutine that holds endpoint locks.
func (l *tapLink) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	var werr tcpip.Error
	err := l.raw.Write(func(fd uintptr) bool {
		for _, pkt := range pkts.AsSlice() {
			if errno := writeFrame(int(fd), pkt); errno != 0 {
				if errno != unix.EAGAIN && errno != unix.ENOBUFS {
					werr = tcpip.TranslateErrno(errno)
					return true
				}
			}
			n++
		}
		return true
	})
	if err != nil {
		return n, &tcpip.ErrClosedForSend{}
	}
	if werr != nil && n == 0 {
		return 0, werr
	}
	return n, nil
}

func writeFrame(fd int, pkt *stack.PacketBuffer) unix.Errno {
	views := pkt.AsSlices()
	var arr [8]unix.Iovec
	iovs := arr[:0]
	for _, v := range views {
		iovs = rawfile.AppendIovecFromBytes(iovs, v, rawfile.MaxIovs)
	}
	return rawfile.NonBlockingWriteIovec(fd, iovs)
}
