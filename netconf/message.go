package netconf

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// The rtnetlink messages are built by hand: a library such as
// vishvananda/netlink would cost its package inits and a few hundred KiB
// on every start, for four requests.

// batch is several netlink requests in one buffer: the kernel handles the
// messages of one datagram in order and acknowledges each, so the whole
// setup is one send.
type batch struct {
	b    []byte
	what []string // what[seq-1] names request seq for errors
}

// begin starts a request; end fills in its length once its attributes are
// written.
func (m *batch) begin(typ uint16, flags uint16, what string) int {
	start := len(m.b)
	m.what = append(m.what, what)
	// nlmsghdr: length, type, flags, sequence number, port (0: the kernel).
	m.u32(0)
	m.u16(typ)
	m.u16(unix.NLM_F_REQUEST | unix.NLM_F_ACK | flags)
	m.u32(uint32(len(m.what)))
	m.u32(0)
	return start
}

func (m *batch) end(start int) {
	binary.NativeEndian.PutUint32(m.b[start:], uint32(len(m.b)-start))
}

func (m *batch) u8(v ...uint8) { m.b = append(m.b, v...) }

func (m *batch) u16(v uint16) { m.b = binary.NativeEndian.AppendUint16(m.b, v) }

func (m *batch) u32(v uint32) { m.b = binary.NativeEndian.AppendUint32(m.b, v) }

// attr appends one rtattr, padded to four bytes.
func (m *batch) attr(typ uint16, data []byte) {
	m.u16(uint16(unix.SizeofRtAttr + len(data)))
	m.u16(typ)
	m.b = append(m.b, data...)
	for len(m.b)%unix.NLMSG_ALIGNTO != 0 {
		m.b = append(m.b, 0)
	}
}

func (m *batch) attrU32(typ uint16, v uint32) {
	m.attr(typ, binary.NativeEndian.AppendUint32(nil, v))
}

// linkUp sets IFF_UP (and the MTU, when not 0) on the link named name.
// RTM_NEWLINK without NLM_F_CREATE changes an existing link, found by
// name: no index lookup needed.
func (m *batch) linkUp(name string, mtu int) {
	what := "bring up " + name
	if mtu > 0 {
		what = "set the MTU of " + name + " and bring it up"
	}
	start := m.begin(unix.RTM_NEWLINK, 0, what)
	// ifinfomsg: family, pad, type, index, flags, change.
	m.u8(unix.AF_UNSPEC, 0)
	m.u16(0)
	m.u32(0)
	m.u32(unix.IFF_UP)
	m.u32(unix.IFF_UP)
	m.attr(unix.IFLA_IFNAME, append([]byte(name), 0))
	if mtu > 0 {
		m.attrU32(unix.IFLA_MTU, uint32(mtu))
	}
	m.end(start)
}

// addr adds a as the address of the link with index.
func (m *batch) addr(index int, a netip.Prefix, name string) {
	start := m.begin(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, "add address "+a.String()+" to "+name)
	// No duplicate address detection for IPv6: nothing else is on the
	// link, and the address would be tentative (unusable) for a second.
	var flags uint8
	if a.Addr().Is6() {
		flags = unix.IFA_F_NODAD
	}
	// ifaddrmsg: family, prefix length, flags, scope, index.
	m.u8(family(a.Addr()), uint8(a.Bits()), flags, unix.RT_SCOPE_UNIVERSE)
	m.u32(uint32(index))
	ip := a.Addr().AsSlice()
	m.attr(unix.IFA_LOCAL, ip)
	m.attr(unix.IFA_ADDRESS, ip)
	m.end(start)
}

// defaultRoute adds the default route via gw out of the link with index.
func (m *batch) defaultRoute(index int, gw netip.Addr, name string) {
	start := m.begin(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, "add the default route via "+gw.String()+" on "+name)
	// rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
	m.u8(family(gw), 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_BOOT, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST)
	m.u32(0)
	m.attr(unix.RTA_GATEWAY, gw.AsSlice())
	m.attrU32(unix.RTA_OIF, uint32(index))
	m.end(start)
}

func family(a netip.Addr) uint8 {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// requests is the whole configuration of the container's side, in the
// order the kernel needs: the link up before the address (which then adds
// the on-link prefix route), the address before the route via a gateway
// in its prefix.
func requests(c Config, index int) *batch {
	m := &batch{b: make([]byte, 0, 256)}
	m.linkUp("lo", 0)
	m.linkUp(c.TAP, c.MTU)
	m.addr(index, c.Address, c.TAP)
	m.defaultRoute(index, c.Gateway, c.TAP)
	if c.Address6.IsValid() && c.Gateway6.IsValid() {
		m.addr(index, c.Address6, c.TAP)
		m.defaultRoute(index, c.Gateway6, c.TAP)
	}
	if c.Mark != 0 {
		m.ruleMark(c.Address.Addr(), c.Mark)
		m.localAll(c.Address.Addr())
		if c.Address6.IsValid() {
			m.ruleMark(c.Address6.Addr(), c.Mark)
			m.localAll(c.Address6.Addr())
		}
	}
	return m
}
