package netconf

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// Published connections come into the container through the agent
// (nsagent): a socket in the container's namespace, bound with
// IP_TRANSPARENT to the client's address and carrying Config.Mark. The
// server's side of such a connection must answer that socket, not the
// gateway, although the client's address is not local. With the
// tcp_fwmark_accept sysctl the accepted socket takes the mark of the
// connection's SYN, and a rule sends everything marked to a table whose
// only route makes every address local. Unmarked traffic, the container's
// own, is untouched.

// MarkTable is the routing table of marked packets.
const MarkTable = 0x6e6f

// ruleMark adds `from all fwmark mark lookup MarkTable` for a's family.
func (m *batch) ruleMark(a netip.Addr, mark uint32) {
	start := m.begin(unix.RTM_NEWRULE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, "add the rule for published connections")
	// fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2,
	// action, flags.
	m.u8(family(a), 0, 0, 0, unix.RT_TABLE_UNSPEC, 0, 0, unix.FR_ACT_TO_TBL)
	m.u32(0)
	m.attrU32(unix.FRA_FWMARK, mark)
	m.attrU32(unix.FRA_TABLE, MarkTable)
	m.end(start)
}

// localAll adds `local 0/0 dev lo table MarkTable` (or ::/0).
func (m *batch) localAll(a netip.Addr) {
	start := m.begin(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, "add the local route for published connections")
	m.u8(family(a), 0, 0, 0, unix.RT_TABLE_UNSPEC, unix.RTPROT_BOOT, unix.RT_SCOPE_HOST, unix.RTN_LOCAL)
	m.u32(0)
	m.attrU32(unix.RTA_TABLE, MarkTable)
	m.attrU32(unix.RTA_OIF, loopbackIndex)
	m.end(start)
}

// loopbackIndex: lo is the first link of every network namespace.
const loopbackIndex = 1

// markSysctls make accepted sockets take the mark of the connection's SYN
// (IPv4 and IPv6 alike), and the kernel's own answers (a reset from a
// port nobody listens on) the mark of what they answer: without them a
// refused connection would wait for a reset sent out to the gateway.
var markSysctls = []string{
	"/proc/sys/net/ipv4/tcp_fwmark_accept",
	"/proc/sys/net/ipv4/fwmark_reflect",
	"/proc/sys/net/ipv6/fwmark_reflect",
}
