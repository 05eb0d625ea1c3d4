package cgroups

// A D-Bus client for the one conversation nook has with systemd's user
// manager (systemd.go): connect to the user bus, authenticate (EXTERNAL),
// Hello, AddMatch for JobRemoved, StartTransientUnit, wait for the reply
// and then for the job's JobRemoved. It replaces godbus and go-systemd,
// whose package inits (net, crypto/rand, math/big) nook would otherwise pay
// on every start. Only the wire format's little-endian encoding of the
// types nook sends is written; the decoder reads any valid message, in
// either byte order, and rejects malformed ones without trusting a length.
// It speaks over a plain socket (syscall, not net).
//
// The D-Bus specification: https://dbus.freedesktop.org/doc/dbus-specification.html

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Message types.
const (
	msgCall   = 1
	msgReturn = 2
	msgError  = 3
	msgSignal = 4
)

// Header field codes.
const (
	fieldPath        = 1
	fieldInterface   = 2
	fieldMember      = 3
	fieldErrorName   = 4
	fieldReplySerial = 5
	fieldDestination = 6
	fieldSender      = 7
	fieldSignature   = 8
	fieldUnixFDs     = 9
)

const (
	// maxMessage is the longest message read: none of the conversation's
	// comes near (the specification allows 128 MiB).
	maxMessage = 1 << 20
	maxArray   = 1 << 26 // the specification's longest array, in bytes
	maxDepth   = 64      // containers (arrays, structs, variants) open at once
)

// busPath is an object path (D-Bus type o), busSig a signature (g).
type (
	busPath string
	busSig  string
)

// variant is a decoded D-Bus variant (v): its value and the signature of it.
type variant struct {
	sig   string
	value any
}

// property is one (sv) of StartTransientUnit's properties: Value is a
// string, bool, uint32 or []uint32 (signatureOf).
type property struct {
	Name  string
	Value any
}

// auxUnit is one (sa(sv)) of StartTransientUnit's auxiliary units.
type auxUnit struct {
	Name  string
	Props []property
}

// message is a D-Bus message. Decoded, body holds byte, bool, int16,
// uint16, int32, uint32, int64, uint64, float64, string, busPath, busSig,
// variant, []byte (ay) and []any (other arrays, structs and dict entries);
// to encode, the Go types of signatureOf.
type message struct {
	typ         byte
	flags       byte
	serial      uint32
	path        busPath
	iface       string
	member      string
	errorName   string
	replySerial uint32
	destination string
	sender      string
	sig         string // the body's
	body        []any
}

// busError is an error reply.
type busError struct {
	Name    string
	Message string
}

func (e *busError) Error() string {
	if e.Message == "" {
		return e.Name
	}
	return e.Name + ": " + e.Message
}

// signatureOf is the D-Bus signature of v as the encoder writes it, "" for
// a type it does not know.
func signatureOf(v any) string {
	switch v.(type) {
	case byte:
		return "y"
	case bool:
		return "b"
	case uint32:
		return "u"
	case string:
		return "s"
	case busPath:
		return "o"
	case busSig:
		return "g"
	case []uint32:
		return "au"
	case []string:
		return "as"
	case property:
		return "(sv)"
	case []property:
		return "a(sv)"
	case auxUnit:
		return "(sa(sv))"
	case []auxUnit:
		return "a(sa(sv))"
	}
	return ""
}

// encoder writes values little-endian, aligned relative to the start of b,
// which must be the start of the message (or of the body, which is aligned
// to 8 in it).
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("dbus: "+format, args...)
	}
}

func (e *encoder) align(n int) {
	for len(e.b)%n != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) uint32(v uint32) {
	e.align(4)
	e.b = append(e.b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func (e *encoder) string(s string) {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		e.fail("string %q is not valid UTF-8 without NUL", s)
	}
	e.uint32(uint32(len(s)))
	e.b = append(append(e.b, s...), 0)
}

func (e *encoder) signature(s string) {
	if err := validSignature(s); err != nil {
		e.fail("%v", err)
		return
	}
	e.b = append(append(append(e.b, byte(len(s))), s...), 0)
}

// array writes an array of elements aligned to elemAlign, which elems
// writes: the length excludes the padding after it, which is there even
// when the array is empty.
func (e *encoder) array(elemAlign int, elems func()) {
	e.uint32(0)
	at := len(e.b) - 4
	e.align(elemAlign)
	start := len(e.b)
	elems()
	n := len(e.b) - start
	if n > maxArray {
		e.fail("array of %d bytes", n)
	}
	e.b[at], e.b[at+1], e.b[at+2], e.b[at+3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
}

// variant writes v as a variant: its signature, then v.
func (e *encoder) variant(v any) {
	sig := signatureOf(v)
	if sig == "" {
		e.fail("cannot encode a %T", v)
		return
	}
	e.signature(sig)
	e.value(v)
}

// value writes v, of a type signatureOf knows.
func (e *encoder) value(v any) {
	switch v := v.(type) {
	case byte:
		e.b = append(e.b, v)
	case bool:
		b := uint32(0)
		if v {
			b = 1
		}
		e.uint32(b)
	case uint32:
		e.uint32(v)
	case string:
		e.string(v)
	case busPath:
		if !validPath(string(v)) {
			e.fail("invalid object path %q", v)
		}
		e.string(string(v))
	case busSig:
		e.signature(string(v))
	case []uint32:
		e.array(4, func() {
			for _, u := range v {
				e.uint32(u)
			}
		})
	case []string:
		e.array(4, func() {
			for _, s := range v {
				e.string(s)
			}
		})
	case property:
		e.align(8)
		e.string(v.Name)
		e.variant(v.Value)
	case []property:
		e.array(8, func() {
			for _, p := range v {
				e.value(p)
			}
		})
	case auxUnit:
		e.align(8)
		e.string(v.Name)
		e.value(v.Props)
	case []auxUnit:
		e.array(8, func() {
			for _, u := range v {
				e.value(u)
			}
		})
	default:
		e.fail("cannot encode a %T", v)
	}
}

// field writes a header field: (yv), code and value.
func (e *encoder) field(code byte, v any) {
	e.align(8)
	e.b = append(e.b, code)
	e.variant(v)
}

// encode is m on the wire, little-endian; m.sig is derived from m.body.
func (m *message) encode() ([]byte, error) {
	body := encoder{}
	sig := ""
	for _, v := range m.body {
		s := signatureOf(v)
		if s == "" {
			return nil, fmt.Errorf("dbus: cannot encode a %T", v)
		}
		sig += s
		body.value(v)
	}
	if body.err != nil {
		return nil, body.err
	}
	if len(sig) > 255 {
		return nil, errors.New("dbus: body signature longer than 255")
	}
	e := encoder{b: make([]byte, 0, 128+len(body.b))}
	e.b = append(e.b, 'l', m.typ, m.flags, 1)
	e.uint32(uint32(len(body.b)))
	e.uint32(m.serial)
	e.array(8, func() {
		if m.path != "" {
			e.field(fieldPath, m.path)
		}
		if m.destination != "" {
			e.field(fieldDestination, m.destination)
		}
		if m.iface != "" {
			e.field(fieldInterface, m.iface)
		}
		if m.member != "" {
			e.field(fieldMember, m.member)
		}
		if m.errorName != "" {
			e.field(fieldErrorName, m.errorName)
		}
		if m.replySerial != 0 {
			e.field(fieldReplySerial, m.replySerial)
		}
		if m.sender != "" {
			e.field(fieldSender, m.sender)
		}
		if sig != "" {
			e.field(fieldSignature, busSig(sig))
		}
	})
	e.align(8)
	if e.err != nil {
		return nil, e.err
	}
	if len(e.b)+len(body.b) > maxMessage {
		return nil, errors.New("dbus: message too long")
	}
	return append(e.b, body.b...), nil
}

// errMalformed is what the decoder finds wrong.
var errMalformed = errors.New("dbus: malformed message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errMalformed}, args...)...)
}

// decoder reads values from b at off, which is aligned relative to the
// start of b.
type decoder struct {
	b   []byte
	off int
	big bool // big-endian
}

func (d *decoder) align(n int) error {
	p := (d.off + n - 1) &^ (n - 1)
	if p > len(d.b) {
		return malformed("truncated")
	}
	d.off = p
	return nil
}

// fixed reads n (1, 2, 4 or 8) aligned bytes as an unsigned number.
func (d *decoder) fixed(n int) (uint64, error) {
	if err := d.align(n); err != nil {
		return 0, err
	}
	if len(d.b)-d.off < n {
		return 0, malformed("truncated")
	}
	var v uint64
	for i := range n {
		b := uint64(d.b[d.off+i])
		if d.big {
			v = v<<8 | b
		} else {
			v |= b << (8 * i)
		}
	}
	d.off += n
	return v, nil
}

func (d *decoder) uint32() (uint32, error) {
	v, err := d.fixed(4)
	return uint32(v), err
}

// string reads a string (s, o) of the length that precedes it.
func (d *decoder) string() (string, error) {
	n, err := d.uint32()
	if err != nil {
		return "", err
	}
	if uint64(n) >= uint64(len(d.b)-d.off) {
		return "", malformed("string of %d bytes overruns the message", n)
	}
	s := d.b[d.off : d.off+int(n)]
	if d.b[d.off+int(n)] != 0 {
		return "", malformed("string not NUL-terminated")
	}
	d.off += int(n) + 1
	return checkString(s)
}

// signature reads a signature (g): a length byte, not aligned.
func (d *decoder) signature() (string, error) {
	if d.off >= len(d.b) {
		return "", malformed("truncated")
	}
	n := int(d.b[d.off])
	if n+1 >= len(d.b)-d.off {
		return "", malformed("signature overruns the message")
	}
	s := d.b[d.off+1 : d.off+1+n]
	if d.b[d.off+1+n] != 0 {
		return "", malformed("signature not NUL-terminated")
	}
	d.off += n + 2
	if err := validSignature(string(s)); err != nil {
		return "", err
	}
	return string(s), nil
}

func checkString(b []byte) (string, error) {
	for _, c := range b {
		if c == 0 {
			return "", malformed("NUL in a string")
		}
	}
	if !utf8.Valid(b) {
		return "", malformed("string not UTF-8")
	}
	return string(b), nil
}

// value reads one value of the single complete type sig (validated), with
// depth containers open around it.
func (d *decoder) value(sig string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, malformed("nested too deep")
	}
	switch sig[0] {
	case 'y':
		v, err := d.fixed(1)
		return byte(v), err
	case 'b':
		v, err := d.fixed(4)
		if err == nil && v > 1 {
			return nil, malformed("boolean %d", v)
		}
		return v == 1, err
	case 'n':
		v, err := d.fixed(2)
		return int16(v), err
	case 'q':
		v, err := d.fixed(2)
		return uint16(v), err
	case 'i':
		v, err := d.fixed(4)
		return int32(v), err
	case 'u', 'h':
		v, err := d.fixed(4)
		return uint32(v), err
	case 'x':
		v, err := d.fixed(8)
		return int64(v), err
	case 't':
		return d.fixed(8)
	case 'd':
		v, err := d.fixed(8)
		return math.Float64frombits(v), err
	case 's':
		return d.string()
	case 'o':
		s, err := d.string()
		if err == nil && !validPath(s) {
			return nil, malformed("invalid object path %q", s)
		}
		return busPath(s), err
	case 'g':
		s, err := d.signature()
		return busSig(s), err
	case 'v':
		s, err := d.signature()
		if err != nil {
			return nil, err
		}
		if n, err := typeLen(s, 0, 0); err != nil || n != len(s) {
			return nil, malformed("variant signature %q is not one type", s)
		}
		v, err := d.value(s, depth+1)
		if err != nil {
			return nil, err
		}
		return variant{sig: s, value: v}, nil
	case 'a':
		return d.array(sig[1:], depth+1)
	case '(', '{':
		if err := d.align(8); err != nil {
			return nil, err
		}
		var fields []any
		for inner := sig[1 : len(sig)-1]; inner != ""; {
			n, err := typeLen(inner, 0, 0)
			if err != nil {
				return nil, err
			}
			v, err := d.value(inner[:n], depth+1)
			if err != nil {
				return nil, err
			}
			fields = append(fields, v)
			inner = inner[n:]
		}
		return fields, nil
	}
	return nil, malformed("unknown type %q", sig[0])
}

// array reads an array of elem: ay as a []byte, others as a []any.
func (d *decoder) array(elem string, depth int) (any, error) {
	n, err := d.uint32()
	if err != nil {
		return nil, err
	}
	if n > maxArray {
		return nil, malformed("array of %d bytes", n)
	}
	if err := d.align(alignment(elem[0])); err != nil {
		return nil, err
	}
	if uint64(n) > uint64(len(d.b)-d.off) {
		return nil, malformed("array of %d bytes overruns the message", n)
	}
	end := d.off + int(n)
	if elem == "y" {
		b := append([]byte(nil), d.b[d.off:end]...)
		d.off = end
		return b, nil
	}
	elems := []any{}
	for d.off < end {
		v, err := d.value(elem, depth)
		if err != nil {
			return nil, err
		}
		elems = append(elems, v)
	}
	if d.off != end {
		return nil, malformed("array element overruns the array")
	}
	return elems, nil
}

// alignment is that of the type that begins with c.
func alignment(c byte) int {
	switch c {
	case 'n', 'q':
		return 2
	case 'b', 'i', 'u', 'h', 's', 'o', 'a':
		return 4
	case 'x', 't', 'd', '(', '{':
		return 8
	}
	return 1 // y, g, v
}

func basicType(c byte) bool { return strings.IndexByte("ybnqiuxtdsogh", c) >= 0 }

// typeLen is the length of the single complete type at the start of sig,
// which it validates, inside arrays arrays and structs structs.
func typeLen(sig string, arrays, structs int) (int, error) {
	if sig == "" {
		return 0, malformed("missing type in signature")
	}
	switch c := sig[0]; {
	case basicType(c) || c == 'v':
		return 1, nil
	case c == 'a':
		if arrays >= 32 {
			return 0, malformed("arrays nested too deep in signature")
		}
		if len(sig) > 1 && sig[1] == '{' {
			if structs >= 32 {
				return 0, malformed("structs nested too deep in signature")
			}
			if len(sig) < 3 || !basicType(sig[2]) {
				return 0, malformed("dict entry key not of a basic type in signature")
			}
			n, err := typeLen(sig[3:], arrays+1, structs+1)
			if err != nil {
				return 0, err
			}
			if 3+n >= len(sig) || sig[3+n] != '}' {
				return 0, malformed("dict entry not of two types in signature")
			}
			return 4 + n, nil
		}
		n, err := typeLen(sig[1:], arrays+1, structs)
		return 1 + n, err
	case c == '(':
		if structs >= 32 {
			return 0, malformed("structs nested too deep in signature")
		}
		for i := 1; i < len(sig); {
			if sig[i] == ')' {
				if i == 1 {
					return 0, malformed("empty struct in signature")
				}
				return i + 1, nil
			}
			n, err := typeLen(sig[i:], arrays, structs+1)
			if err != nil {
				return 0, err
			}
			i += n
		}
		return 0, malformed("unterminated struct in signature")
	}
	return 0, malformed("invalid type %q in signature", sig[0])
}

func validSignature(s string) error {
	if len(s) > 255 {
		return malformed("signature longer than 255")
	}
	for s != "" {
		n, err := typeLen(s, 0, 0)
		if err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// validPath is whether p is a valid object path.
func validPath(p string) bool {
	if p == "/" {
		return true
	}
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			if prev == '/' {
				return false
			}
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_':
		default:
			return false
		}
		prev = c
	}
	return true
}

// headerField is the signature each known header field must have.
var headerField = [...]string{
	fieldPath: "o", fieldInterface: "s", fieldMember: "s", fieldErrorName: "s", fieldReplySerial: "u",
	fieldDestination: "s", fieldSender: "s", fieldSignature: "g", fieldUnixFDs: "u",
}

// messageLen is the length of the message whose fixed 16 bytes hdr are.
func messageLen(hdr []byte) (int, error) {
	if len(hdr) < 16 {
		return 0, malformed("truncated")
	}
	d := decoder{b: hdr[:16], off: 4}
	switch hdr[0] {
	case 'l':
	case 'B':
		d.big = true
	default:
		return 0, malformed("byte order %q", hdr[0])
	}
	if hdr[3] != 1 {
		return 0, malformed("protocol version %d", hdr[3])
	}
	body, _ := d.uint32()
	d.off = 12
	fields, _ := d.uint32()
	if body > maxMessage || fields > maxMessage {
		return 0, malformed("message too long")
	}
	n := (16+int(fields)+7)&^7 + int(body)
	if n > maxMessage {
		return 0, malformed("message too long")
	}
	return n, nil
}

// parseMessage decodes the message b, all of it.
func parseMessage(b []byte) (*message, error) {
	n, err := messageLen(b)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, malformed("message of %d bytes, its header says %d", len(b), n)
	}
	d := decoder{b: b, off: 8, big: b[0] == 'B'}
	m := &message{typ: b[1], flags: b[2]}
	m.serial, _ = d.uint32()
	if m.serial == 0 {
		return nil, malformed("serial 0")
	}
	fields, err := d.array("(yv)", 1)
	if err != nil {
		return nil, err
	}
	seen := map[byte]bool{}
	for _, f := range fields.([]any) {
		f := f.([]any)
		code, v := f[0].(byte), f[1].(variant)
		if int(code) >= len(headerField) || headerField[code] == "" {
			continue // unknown fields are ignored
		}
		if v.sig != headerField[code] {
			return nil, malformed("header field %d of type %s", code, v.sig)
		}
		if seen[code] {
			return nil, malformed("header field %d twice", code)
		}
		seen[code] = true
		switch code {
		case fieldPath:
			m.path = v.value.(busPath)
		case fieldInterface:
			m.iface = v.value.(string)
		case fieldMember:
			m.member = v.value.(string)
		case fieldErrorName:
			m.errorName = v.value.(string)
		case fieldReplySerial:
			m.replySerial = v.value.(uint32)
		case fieldDestination:
			m.destination = v.value.(string)
		case fieldSender:
			m.sender = v.value.(string)
		case fieldSignature:
			m.sig = string(v.value.(busSig))
		}
	}
	var missing bool
	switch m.typ {
	case msgCall:
		missing = m.path == "" || m.member == ""
	case msgReturn:
		missing = m.replySerial == 0
	case msgError:
		missing = m.replySerial == 0 || m.errorName == ""
	case msgSignal:
		missing = m.path == "" || m.iface == "" || m.member == ""
	}
	if missing {
		return nil, malformed("message of type %d without its required header fields", m.typ)
	}
	if err := d.align(8); err != nil {
		return nil, err
	}
	bd := decoder{b: b[d.off:], big: d.big}
	for s := m.sig; s != ""; {
		n, _ := typeLen(s, 0, 0) // validated as a header field
		v, err := bd.value(s[:n], 0)
		if err != nil {
			return nil, err
		}
		m.body = append(m.body, v)
		s = s[n:]
	}
	if bd.off != len(bd.b) {
		return nil, malformed("body of %d bytes, its signature %q covers %d", len(bd.b), m.sig, bd.off)
	}
	return m, nil
}

// readMessage reads one message from r.
func readMessage(r io.Reader) (*message, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n, err := messageLen(hdr[:])
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	copy(b, hdr[:])
	if _, err := io.ReadFull(r, b[16:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return parseMessage(b)
}

// busSocket is the socket of the first unix:path= or unix:abstract=
// address in the D-Bus address list addr, an abstract one as "@name".
func busSocket(addr string) (string, error) {
	for _, a := range strings.Split(addr, ";") {
		params, ok := strings.CutPrefix(a, "unix:")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(params, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if k != "path" && k != "abstract" {
				continue
			}
			v, err := unescapeAddressValue(v)
			if err != nil || v == "" || strings.IndexByte(v, 0) >= 0 {
				break
			}
			if k == "abstract" {
				return "@" + v, nil
			}
			if v[0] == '@' {
				v = "./" + v // not an abstract name to syscall
			}
			return v, nil
		}
	}
	return "", errors.New("no unix:path= or unix:abstract= address")
}

// escapeAddressValue %-escapes v for a D-Bus address.
func escapeAddressValue(v string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_/\\.*", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func unescapeAddressValue(v string) (string, error) {
	if strings.IndexByte(v, '%') < 0 {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", errors.New("truncated escape")
		}
		x, err := strconv.ParseUint(v[i+1:i+3], 16, 8)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte(x))
		i += 2
	}
	return b.String(), nil
}

// busConn is an authenticated connection to a bus.
type busConn struct {
	f       *os.File
	r       *bufio.Reader
	serial  uint32
	stop    func() bool
	sender  string // of the reply to StartTransientUnit: systemd's unique name
	replies map[uint32]*message
	removed []jobRemoved
}

// jobRemoved is a JobRemoved signal.
type jobRemoved struct {
	sender, job, result string
}

// dialBus connects to the bus at addr, a D-Bus address, and authenticates
// as this process's uid. ctx's deadline (or its end) bounds the connection
// until Close.
func dialBus(ctx context.Context, addr string) (*busConn, error) {
	sock, err := busSocket(addr)
	if err != nil {
		return nil, err
	}
	f, err := connectUnix(ctx, sock)
	if err != nil {
		return nil, err
	}
	c := &busConn{f: f, r: bufio.NewReader(f)}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(busTimeout)
	}
	if err := f.SetDeadline(deadline); err != nil {
		f.Close()
		return nil, err
	}
	c.stop = context.AfterFunc(ctx, func() { f.SetDeadline(time.Unix(1, 0)) })
	if err := c.auth(os.Getuid()); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// connectUnix connects to the unix socket sock ("@name" for an abstract
// one) as net.Dial would, without net.
func connectUnix(ctx context.Context, sock string) (*os.File, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("dial unix %s: %w", sock, os.NewSyscallError("socket", err))
	}
	sa := &syscall.SockaddrUnix{Name: sock}
	for {
		err = syscall.Connect(fd, sa)
		if err == syscall.EINTR {
			continue
		}
		// EAGAIN: the listener's backlog is full; it may drain.
		if err != syscall.EAGAIN || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("dial unix %s: %w", sock, os.NewSyscallError("connect", err))
	}
	// Non-blocking, so that the runtime's poller serves it and deadlines work.
	return os.NewFile(uintptr(fd), sock), nil
}

// auth is SASL EXTERNAL as uid, all but the BEGIN (sent with the first
// messages).
func (c *busConn) auth(uid int) error {
	if _, err := fmt.Fprintf(c.f, "\x00AUTH EXTERNAL %x\r\n", strconv.Itoa(uid)); err != nil {
		return err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		if err == io.EOF {
			return errors.New("the bus closed the connection during authentication")
		}
		return err
	}
	s := strings.TrimRight(string(line), "\r\n")
	if s != "OK" && !strings.HasPrefix(s, "OK ") {
		return fmt.Errorf("the bus refused authentication as uid %d: %q", uid, s)
	}
	return nil
}

// Close closes the connection.
func (c *busConn) Close() error {
	if c.stop != nil {
		c.stop()
	}
	return c.f.Close()
}

// send writes prefix and then the method calls ms, numbered in order.
func (c *busConn) send(prefix string, ms ...*message) error {
	b := []byte(prefix)
	for _, m := range ms {
		c.serial++
		m.typ, m.serial = msgCall, c.serial
		e, err := m.encode()
		if err != nil {
			return err
		}
		b = append(b, e...)
	}
	_, err := c.f.Write(b)
	return err
}

// next reads the next message.
func (c *busConn) next() (*message, error) {
	m, err := readMessage(c.r)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, errors.New("the bus closed the connection")
	}
	return m, err
}

// reply waits for the reply to the call serial, keeping the replies to
// later calls and the JobRemoved signals that come first; an error reply
// is a *busError.
func (c *busConn) reply(serial uint32) (*message, error) {
	m := c.replies[serial]
	delete(c.replies, serial)
	for m == nil {
		r, err := c.next()
		if err != nil {
			return nil, err
		}
		if j, ok := asJobRemoved(r); ok {
			c.removed = append(c.removed, j)
			continue
		}
		if r.typ != msgReturn && r.typ != msgError || r.replySerial == 0 || r.replySerial > c.serial {
			continue // NameAcquired, say
		}
		if r.replySerial == serial {
			m = r
		} else {
			if c.replies == nil {
				c.replies = map[uint32]*message{}
			}
			c.replies[r.replySerial] = r
		}
	}
	if m.typ == msgError {
		e := &busError{Name: m.errorName}
		if len(m.body) > 0 {
			e.Message, _ = m.body[0].(string)
		}
		return nil, e
	}
	return m, nil
}

// asJobRemoved is m as a JobRemoved signal of systemd's manager, if it is one.
func asJobRemoved(m *message) (jobRemoved, bool) {
	if m.typ != msgSignal || m.path != systemdPath || m.iface != systemdManager || m.member != "JobRemoved" ||
		m.sig != "uoss" {
		return jobRemoved{}, false
	}
	return jobRemoved{sender: m.sender, job: string(m.body[1].(busPath)), result: m.body[3].(string)}, true
}

// jobResult waits for the JobRemoved signal of job (from the sender of the
// reply that named it, on a bus) and is its result.
func (c *busConn) jobResult(job busPath) (string, error) {
	ours := func(j jobRemoved) bool {
		return j.job == string(job) && (c.sender == "" || j.sender == c.sender)
	}
	for _, j := range c.removed {
		if ours(j) {
			return j.result, nil
		}
	}
	for {
		m, err := c.next()
		if err != nil {
			return "", err
		}
		if j, ok := asJobRemoved(m); ok && ours(j) {
			return j.result, nil
		}
	}
}

const (
	systemdName    = "org.freedesktop.systemd1"
	systemdPath    = busPath("/org/freedesktop/systemd1")
	systemdManager = "org.freedesktop.systemd1.Manager"
	busName        = "org.freedesktop.DBus"
	jobRemovedRule = "type='signal',sender='" + systemdName + "',interface='" + systemdManager + "',member='JobRemoved'"
)

// Where startTransientUnit failed.
const (
	stageBus     = iota // Hello, AddMatch: the bus itself
	stageSystemd        // StartTransientUnit
	stageJob            // the job
)

// startTransientUnit is Hello, AddMatch for JobRemoved and
// StartTransientUnit(unit, mode, props, no auxiliary units), sent at once;
// then it waits for the replies and the job's JobRemoved, whose result it
// is. On error it says at which stage.
func (c *busConn) startTransientUnit(unit, mode string, props []property) (string, int, error) {
	hello := &message{destination: busName, path: "/org/freedesktop/DBus", iface: busName, member: "Hello"}
	match := &message{destination: busName, path: "/org/freedesktop/DBus", iface: busName, member: "AddMatch",
		body: []any{jobRemovedRule}}
	start := &message{destination: systemdName, path: systemdPath, iface: systemdManager, member: "StartTransientUnit",
		body: []any{unit, mode, props, []auxUnit{}}}
	if err := c.send("BEGIN\r\n", hello, match, start); err != nil {
		return "", stageBus, err
	}
	if _, err := c.reply(hello.serial); err != nil {
		return "", stageBus, err
	}
	if _, err := c.reply(match.serial); err != nil {
		return "", stageBus, err
	}
	r, err := c.reply(start.serial)
	if err != nil {
		return "", stageSystemd, err
	}
	if r.sig != "o" {
		return "", stageSystemd, fmt.Errorf("StartTransientUnit returned %q, not an object path", r.sig)
	}
	c.sender = r.sender
	result, err := c.jobResult(r.body[0].(busPath))
	return result, stageJob, err
}
