package cgroups

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// hello is the Hello call, serial 1, as the client sends it.
func helloCall() *message {
	return &message{typ: msgCall, serial: 1, destination: busName, path: "/org/freedesktop/DBus", iface: busName, member: "Hello"}
}

// The header, checked by hand: fields (yv) aligned to 8, the strings'
// lengths before them and a NUL after, the header padded to 8.
func TestEncodeHeader(t *testing.T) {
	got, err := helloCall().encode()
	if err != nil {
		t.Fatal(err)
	}
	want := "l\x01\x00\x01" + // little-endian, method call, no flags, version 1
		"\x00\x00\x00\x00" + "\x01\x00\x00\x00" + // body length 0, serial 1
		"\x6e\x00\x00\x00" + // 110 bytes of header fields
		"\x01\x01o\x00" + "\x15\x00\x00\x00/org/freedesktop/DBus\x00" + "\x00\x00" + // PATH
		"\x06\x01s\x00" + "\x14\x00\x00\x00org.freedesktop.DBus\x00" + "\x00\x00\x00" + // DESTINATION
		"\x02\x01s\x00" + "\x14\x00\x00\x00org.freedesktop.DBus\x00" + "\x00\x00\x00" + // INTERFACE
		"\x03\x01s\x00" + "\x05\x00\x00\x00Hello\x00" + // MEMBER
		"\x00\x00" // to 8
	if string(got) != want {
		t.Errorf("Hello:\n%q\nwant\n%q", got, want)
	}
}

// StartTransientUnit's body, checked by hand: note the padding before an
// array's elements (there even for the empty array of auxiliary units).
func TestEncodeStartTransientUnitBody(t *testing.T) {
	var e encoder
	for _, v := range []any{"nook-abc.scope", "fail", []property{
		{Name: "PIDs", Value: []uint32{7}}, {Name: "Delegate", Value: true}, {Name: "Slice", Value: "ab.slice"},
	}, []auxUnit{}} {
		e.value(v)
	}
	if e.err != nil {
		t.Fatal(e.err)
	}
	want := "\x0e\x00\x00\x00nook-abc.scope\x00" + "\x00" + // 0: s
		"\x04\x00\x00\x00fail\x00" + "\x00\x00\x00" + // 20: s
		"\x4d\x00\x00\x00" + "\x00\x00\x00\x00" + // 32: a(sv) of 77 bytes, from 40
		"\x04\x00\x00\x00PIDs\x00" + "\x02au\x00" + "\x00\x00\x00" + "\x04\x00\x00\x00" + "\x07\x00\x00\x00" + // 40
		"\x08\x00\x00\x00Delegate\x00" + "\x01b\x00" + "\x01\x00\x00\x00" + // 64
		"\x00\x00\x00\x00" + // to 8
		"\x05\x00\x00\x00Slice\x00" + "\x01s\x00" + "\x00\x00\x00" + "\x08\x00\x00\x00ab.slice\x00" + // 88
		"\x00\x00\x00" + // 117: to 4
		"\x00\x00\x00\x00" + "\x00\x00\x00\x00" // 120: a(sa(sv)), empty, and the padding to its elements
	if string(e.b) != want {
		t.Errorf("body:\n%q\nwant\n%q", e.b, want)
	}
	for _, tc := range []struct {
		v    []any
		want string
	}{
		{[]any{"", []auxUnit{}}, "\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00"},
		{[]any{byte(1), uint32(2)}, "\x01\x00\x00\x00\x02\x00\x00\x00"},
		{[]any{byte(1), busSig("a(sv)"), busPath("/a/b")}, "\x01\x05a(sv)\x00" + "\x04\x00\x00\x00/a/b\x00"},
		{[]any{[]string{"a", "bc"}}, "\x0f\x00\x00\x00" + "\x01\x00\x00\x00a\x00" + "\x00\x00" + "\x02\x00\x00\x00bc\x00"},
	} {
		var e encoder
		for _, v := range tc.v {
			e.value(v)
		}
		if e.err != nil || string(e.b) != tc.want {
			t.Errorf("%#v: %q, %v; want %q", tc.v, e.b, e.err, tc.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, v := range []any{"a\x00b", "\xff", busPath("a"), busPath("/a/"), busSig("a"), busSig("(})"), 1, property{"x", 1.5}} {
		var e encoder
		e.value(v)
		if e.err == nil {
			t.Errorf("%#v encoded: %q", v, e.b)
		}
	}
	if _, err := (&message{typ: msgCall, serial: 1, path: "/", member: "M", body: []any{1}}).encode(); err == nil {
		t.Error("an int encoded")
	}
}

// scopeBody is StartTransientUnit's body for scopeProperties(abc, slice, 1)
// as decoded.
func scopeBody(slice string) []any {
	props := []any{
		[]any{"Description", variant{"s", "nook container abc"}},
		[]any{"PIDs", variant{"au", []any{uint32(1)}}},
		[]any{"Delegate", variant{"b", true}},
		[]any{"CollectMode", variant{"s", "inactive-or-failed"}},
	}
	if slice != "" {
		props = append(props, []any{"Slice", variant{"s", slice}})
	}
	return []any{"nook-abc.scope", "fail", props, []any{}}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		m    *message
		body []any // decoded
	}{
		{helloCall(), nil},
		{&message{typ: msgCall, serial: 3, destination: systemdName, path: systemdPath, iface: systemdManager,
			member: "StartTransientUnit", body: []any{"nook-abc.scope", "fail", scopeProperties("abc", "nook.slice", 1), []auxUnit{}}},
			scopeBody("nook.slice")},
		{&message{typ: msgReturn, serial: 9, replySerial: 3, sender: ":1.7", destination: ":1.8",
			body: []any{busPath("/org/freedesktop/systemd1/job/5")}}, []any{busPath("/org/freedesktop/systemd1/job/5")}},
		{&message{typ: msgError, flags: 1, serial: 9, replySerial: 3, errorName: "org.freedesktop.DBus.Error.ServiceUnknown",
			body: []any{"The name is not activatable"}}, []any{"The name is not activatable"}},
		{&message{typ: msgSignal, serial: 10, sender: ":1.7", path: systemdPath, iface: systemdManager, member: "JobRemoved",
			body: []any{uint32(5), busPath("/org/freedesktop/systemd1/job/5"), "nook-abc.scope", "done"}},
			[]any{uint32(5), busPath("/org/freedesktop/systemd1/job/5"), "nook-abc.scope", "done"}},
	} {
		b, err := tc.m.encode()
		if err != nil {
			t.Fatal(err)
		}
		if len(b)%8 != 0 && len(tc.m.body) == 0 {
			t.Errorf("%s: header of %d bytes", tc.m.member, len(b))
		}
		got, err := parseMessage(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.m.member, err)
		}
		want := *tc.m
		want.body, want.sig = tc.body, ""
		for _, v := range tc.m.body {
			want.sig += signatureOf(v)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("decoded\n%#v\nwant\n%#v", got, &want)
		}
		got2, err := readMessage(bytes.NewReader(append(b, "more"...)))
		if err != nil || !reflect.DeepEqual(got2, got) {
			t.Errorf("readMessage: %v, %v", got2, err)
		}
		for n := range len(b) {
			if _, err := readMessage(bytes.NewReader(b[:n])); err == nil {
				t.Fatalf("%s truncated to %d read", tc.m.member, n)
			}
			if _, err := parseMessage(b[:n]); err == nil {
				t.Fatalf("%s truncated to %d parsed", tc.m.member, n)
			}
		}
	}
}

// bigEndianReturn is a method return as a big-endian peer sends it, by hand.
const bigEndianReturn = "B\x02\x00\x01" + "\x00\x00\x00\x07" + "\x00\x00\x00\x02" + "\x00\x00\x00\x1f" +
	"\x05\x01u\x00" + "\x00\x00\x00\x03" + // REPLY_SERIAL 3
	"\x07\x01s\x00" + "\x00\x00\x00\x04:1.7\x00" + "\x00\x00\x00" + // SENDER
	"\x08\x01g\x00" + "\x01o\x00" + "\x00" + // SIGNATURE o
	"\x00\x00\x00\x02/a\x00"

func TestParseBigEndian(t *testing.T) {
	m, err := parseMessage([]byte(bigEndianReturn))
	if err != nil {
		t.Fatal(err)
	}
	want := &message{typ: msgReturn, serial: 2, replySerial: 3, sender: ":1.7", sig: "o", body: []any{busPath("/a")}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("%#v, want %#v", m, want)
	}
}

// rawMessage is a little-endian message of type typ with the header fields
// fields (each a (yv), aligned by the caller) and body.
func rawMessage(typ byte, serial uint32, fields, body string) []byte {
	var e encoder
	e.b = append(e.b, 'l', typ, 0, 1)
	e.uint32(uint32(len(body)))
	e.uint32(serial)
	e.uint32(uint32(len(fields)))
	e.b = append(e.b, fields...)
	e.align(8)
	return append(e.b, body...)
}

func TestParseMalformed(t *testing.T) {
	reply := "\x05\x01u\x00\x01\x00\x00\x00" // REPLY_SERIAL 1
	str := func(s string) string { return string([]byte{byte(len(s)), 0, 0, 0}) + s + "\x00" }
	ok := rawMessage(msgReturn, 1, reply, "")
	if _, err := parseMessage(ok); err != nil {
		t.Fatalf("the valid one: %v", err)
	}
	withSig := func(sig, body string) []byte {
		f := reply + "\x08\x01g\x00" + string([]byte{byte(len(sig))}) + sig + "\x00"
		return rawMessage(msgReturn, 1, f, body)
	}
	deep := strings.Repeat("a", 33) + "y"
	nested := strings.Repeat("\x01v\x00", 70) + "\x01y\x00\x01" // variants 70 deep
	for name, b := range map[string][]byte{
		"empty":                   nil,
		"short header":            ok[:15],
		"byte order":              append([]byte{'x'}, ok[1:]...),
		"version":                 append([]byte{'l', 2, 0, 2}, ok[4:]...),
		"serial 0":                rawMessage(msgReturn, 0, reply, ""),
		"no reply serial":         rawMessage(msgReturn, 1, "", ""),
		"error without name":      rawMessage(msgError, 1, reply, ""),
		"call without path":       rawMessage(msgCall, 1, "\x03\x01s\x00"+str("M"), ""),
		"signal without iface":    rawMessage(msgSignal, 1, "\x01\x01o\x00"+str("/")+"\x00\x00\x00\x00\x00\x00"+"\x03\x01s\x00"+str("M"), ""),
		"field of the wrong type": rawMessage(msgReturn, 1, "\x05\x01s\x00"+str("1"), ""),
		"field twice":             rawMessage(msgReturn, 1, reply+reply, ""),
		"body without signature":  rawMessage(msgReturn, 1, reply, "\x00\x00\x00\x00\x00"),
		"body beyond signature":   withSig("s", str("a")+"\x00"),
		"body short of signature": withSig("ss", str("a")),
		"string without NUL":      withSig("s", "\x01\x00\x00\x00ab"),
		"string overrun":          withSig("s", "\xff\x00\x00\x00ab\x00"),
		"NUL in string":           withSig("s", "\x02\x00\x00\x00a\x00\x00"),
		"string not UTF-8":        withSig("s", "\x01\x00\x00\x00\xff\x00"),
		"invalid object path":     withSig("o", str("a//b")),
		"boolean 2":               withSig("b", "\x02\x00\x00\x00"),
		"array overrun":           withSig("au", "\x08\x00\x00\x00\x01\x00\x00\x00"),
		"array too long":          withSig("au", "\x00\x00\x00\x10"),
		"element overruns array":  withSig("as", "\x06\x00\x00\x00"+str("ab")),
		"signature overrun":       withSig("g", "\x09ab\x00"),
		"invalid signature":       withSig("g", "\x01(\x00"),
		"variant of two types":    withSig("v", "\x02ss\x00"),
		"variant of none":         withSig("v", "\x00\x00"),
		"variants nested deep":    withSig("v", nested),
		"arrays nested deep":      withSig(deep, ""),
		"empty struct":            withSig("()", ""),
		"dict entry outside":      withSig("{sv}", ""),
		"dict entry of one":       withSig("a{s}", ""),
		"dict entry key":          withSig("a{vs}", ""),
		"unknown type":            withSig("z", ""),
		"header length lies":      append(append([]byte{}, ok...), 0),
		"huge body":               append([]byte("l\x02\x00\x01\xff\xff\xff\x00\x01\x00\x00\x00"), ok[12:]...),
		"unknown field type":      rawMessage(msgReturn, 1, reply+"\x42\x01z\x00", ""),
		"sig in sig field wrong":  rawMessage(msgReturn, 1, reply+"\x08\x01g\x00\x01(\x00", ""),
	} {
		if m, err := parseMessage(b); err == nil {
			t.Errorf("%s: parsed %#v", name, m)
		} else if !errors.Is(err, errMalformed) {
			t.Errorf("%s: %v is not errMalformed", name, err)
		}
	}
	// Unknown fields and types of message are skipped, not errors.
	m, err := parseMessage(rawMessage(msgReturn, 1, reply+"\x42\x01s\x00"+str("x"), ""))
	if err != nil || m.replySerial != 1 {
		t.Errorf("unknown header field: %v, %v", m, err)
	}
	if _, err := parseMessage(rawMessage(9, 1, "", "")); err != nil {
		t.Errorf("unknown message type: %v", err)
	}
	m, err = parseMessage(withSig("a{sv}(ynqixtdh)ayg", "\x0a\x00\x00\x00"+"\x00\x00\x00\x00"+str("k")+"\x01y\x00\x07"+ // 0: a{sv}
		"\x00\x00\x00\x00\x00\x00"+"\x01"+"\x00"+"\x02\x00"+"\x03\x00"+"\x00\x00"+"\x04\x00\x00\x00"+ // 18: to 8, y n q i
		"\x00\x00\x00\x00"+"\xfb\xff\xff\xff\xff\xff\xff\xff"+"\x06\x00\x00\x00\x00\x00\x00\x00"+ // 36: to 8, x t
		"\x00\x00\x00\x00\x00\x00\xf0\x3f"+"\x07\x00\x00\x00"+ // 56: d h
		"\x02\x00\x00\x00ab"+"\x00\x00")) // 68: ay g
	if err != nil {
		t.Fatal(err)
	}
	want := []any{[]any{[]any{"k", variant{"y", byte(7)}}},
		[]any{byte(1), int16(2), uint16(3), int32(4), int64(-5), uint64(6), float64(1), uint32(7)}, []byte("ab"), busSig("")}
	if !reflect.DeepEqual(m.body, want) {
		t.Errorf("every type: %#v, want %#v", m.body, want)
	}
}

// godbus, which systemd's clients and testdata/fakesystemd use, reads what
// the client writes and the other way round.
func TestInteropGodbus(t *testing.T) {
	b, err := (&message{typ: msgCall, serial: 3, destination: systemdName, path: systemdPath, iface: systemdManager,
		member: "StartTransientUnit", body: []any{"nook-abc.scope", "fail", scopeProperties("abc", "nook.slice", 42), []auxUnit{}}}).encode()
	if err != nil {
		t.Fatal(err)
	}
	gm, err := dbus.DecodeMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if gm.Serial() != 3 || gm.Headers[dbus.FieldMember].Value() != "StartTransientUnit" ||
		gm.Headers[dbus.FieldPath].Value() != dbus.ObjectPath(systemdPath) {
		t.Errorf("godbus read %v", gm)
	}
	var unit, mode string
	var props []struct {
		Name  string
		Value dbus.Variant
	}
	var aux []struct {
		Name  string
		Props []struct {
			Name  string
			Value dbus.Variant
		}
	}
	if err := dbus.Store(gm.Body, &unit, &mode, &props, &aux); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, p := range props {
		got[p.Name] = p.Value.Value()
	}
	want := map[string]any{"Description": "nook container abc", "PIDs": []uint32{42}, "Delegate": true,
		"CollectMode": "inactive-or-failed", "Slice": "nook.slice"}
	if unit != "nook-abc.scope" || mode != "fail" || !reflect.DeepEqual(got, want) || len(aux) != 0 {
		t.Errorf("godbus read %s %s %v %v", unit, mode, got, aux)
	}

	// A JobRemoved signal from godbus, with a serial patched in (godbus
	// keeps it to itself).
	sig := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:      dbus.MakeVariant(dbus.ObjectPath(systemdPath)),
		dbus.FieldInterface: dbus.MakeVariant(systemdManager),
		dbus.FieldMember:    dbus.MakeVariant("JobRemoved"),
		dbus.FieldSender:    dbus.MakeVariant(":1.7"),
		dbus.FieldSignature: dbus.MakeVariant(dbus.SignatureOf(uint32(0), dbus.ObjectPath(""), "", "")),
	}, Body: []any{uint32(5), dbus.ObjectPath("/org/freedesktop/systemd1/job/5"), "nook-abc.scope", "done"}}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		var buf bytes.Buffer
		if err := sig.EncodeTo(&buf, order); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		order.PutUint32(b[8:], 77)
		m, err := parseMessage(b)
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		j, ok := asJobRemoved(m)
		if !ok || m.serial != 77 || j != (jobRemoved{":1.7", "/org/freedesktop/systemd1/job/5", "done"}) {
			t.Errorf("%v: %#v: %v %v", order, m, j, ok)
		}
	}
}

func TestBusSocket(t *testing.T) {
	for addr, want := range map[string]string{
		"unix:path=/run/user/1000/bus":                        "/run/user/1000/bus",
		"unix:path=/home/a%20b%3bc/bus":                       "/home/a b;c/bus",
		"unix:guid=0123,path=/x":                              "/x",
		"unix:abstract=/tmp/dbus-XYZ,guid=0123":               "@/tmp/dbus-XYZ",
		"tcp:host=localhost,port=1;unix:path=/x;unix:path=/y": "/x",
		"unix:path=%zz;unix:path=/y":                          "/y",
		"unix:path=@x":                                        "./@x",
		"unix:path=/a%2":                                      "",
		"unix:tmpdir=/tmp":                                    "",
		"tcp:host=localhost":                                  "",
		"":                                                    "",
		"unix:path=":                                          "",
		"unix:path=/a%00b":                                    "",
	} {
		got, err := busSocket(addr)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("busSocket(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	for in, want := range map[string]string{"/run/user/1000/bus": "/run/user/1000/bus", "/a b;c=%": "/a%20b%3bc%3d%25", "é": "%c3%a9"} {
		esc := escapeAddressValue(in)
		if esc != want {
			t.Errorf("escapeAddressValue(%q) = %q, want %q", in, esc, want)
		}
		if back, err := unescapeAddressValue(esc); err != nil || back != in {
			t.Errorf("unescapeAddressValue(%q) = %q, %v", esc, back, err)
		}
		if godbus := dbus.EscapeBusAddressValue(in); godbus != esc {
			t.Errorf("godbus escapes %q as %q, we as %q", in, godbus, esc)
		}
	}
}

// fakeBus is a bus with a scripted peer: serve runs for each connection.
type fakeBus struct {
	t    *testing.T
	dir  string
	addr string
	done chan struct{}
}

// busPeer is the bus's end of a connection from the client.
type busPeer struct {
	t      *testing.T
	c      net.Conn
	r      *bufio.Reader
	serial uint32
}

func startFakeBus(t *testing.T, listen string, serve func(p *busPeer)) *fakeBus {
	t.Helper()
	b := &fakeBus{t: t, dir: t.TempDir(), done: make(chan struct{})}
	sock := listen
	if sock == "" {
		sock = filepath.Join(b.dir, "bus")
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(b.done)
		c, err := l.Accept()
		l.Close()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				t.Error(err)
			}
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		serve(&busPeer{t: t, c: c, r: bufio.NewReader(c), serial: 100})
	}()
	t.Cleanup(func() { l.Close(); <-b.done })
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", b.dir)
	b.addr = "unix:path=" + b.dir + "/bus"
	return b
}

func (p *busPeer) line(want string) {
	p.t.Helper()
	got, err := p.r.ReadString('\n')
	if err != nil || got != want {
		p.t.Errorf("read %q, %v; want %q", got, err, want)
	}
}

// auth checks the client's AUTH EXTERNAL as this process, answers with
// answer and, if that is OK, checks for BEGIN.
func (p *busPeer) auth(answer string) {
	p.t.Helper()
	p.line("\x00AUTH EXTERNAL " + fmt.Sprintf("%x", strconv.Itoa(os.Getuid())) + "\r\n")
	p.write([]byte(answer + "\r\n"))
	if strings.HasPrefix(answer, "OK") {
		p.line("BEGIN\r\n")
	}
}

func (p *busPeer) write(b []byte) {
	p.t.Helper()
	if _, err := p.c.Write(b); err != nil {
		p.t.Error(err)
	}
}

func (p *busPeer) send(m *message) {
	p.t.Helper()
	p.serial++
	m.serial = p.serial
	b, err := m.encode()
	if err != nil {
		p.t.Fatal(err)
	}
	p.write(b)
}

// call reads the next message, which must be a call of member to dest at
// path with body (decoded) of signature sig.
func (p *busPeer) call(dest string, path busPath, iface, member, sig string, body ...any) *message {
	p.t.Helper()
	m, err := readMessage(p.r)
	if err != nil {
		p.t.Fatalf("reading %s: %v", member, err)
	}
	want := &message{typ: msgCall, serial: m.serial, destination: dest, path: path, iface: iface, member: member,
		sig: sig, body: body}
	if !reflect.DeepEqual(m, want) {
		p.t.Errorf("got\n%#v\nwant\n%#v", m, want)
	}
	return m
}

// hello expects Hello and AddMatch, answered, with a NameAcquired between.
func (p *busPeer) hello() {
	p.t.Helper()
	m := p.call(busName, "/org/freedesktop/DBus", busName, "Hello", "")
	p.send(&message{typ: msgReturn, replySerial: m.serial, sender: busName, destination: ":1.8", body: []any{":1.8"}})
	p.send(&message{typ: msgSignal, sender: busName, destination: ":1.8", path: "/org/freedesktop/DBus", iface: busName,
		member: "NameAcquired", body: []any{":1.8"}})
	m = p.call(busName, "/org/freedesktop/DBus", busName, "AddMatch", "s", jobRemovedRule)
	p.send(&message{typ: msgReturn, replySerial: m.serial, sender: busName, destination: ":1.8"})
}

func (p *busPeer) startCall(slice string) *message {
	p.t.Helper()
	return p.call(systemdName, systemdPath, systemdManager, "StartTransientUnit", "ssa(sv)a(sa(sv))", scopeBody(slice)...)
}

func (p *busPeer) jobRemoved(sender string, id uint32, unit, result string) {
	p.send(&message{typ: msgSignal, sender: sender, path: systemdPath, iface: systemdManager, member: "JobRemoved",
		body: []any{id, jobPath(id), unit, result}})
}

func jobPath(id uint32) busPath { return busPath(fmt.Sprintf("/org/freedesktop/systemd1/job/%d", id)) }

func (p *busPeer) reply(call *message, sender string, body ...any) {
	p.send(&message{typ: msgReturn, replySerial: call.serial, sender: sender, destination: ":1.8", body: body})
}

func (p *busPeer) errorReply(call *message, name, msg string) {
	p.send(&message{typ: msgError, replySerial: call.serial, errorName: name, sender: busName, body: []any{msg}})
}

// until reads (and drops) what the client sends until it hangs up.
func (p *busPeer) untilClosed() {
	io.Copy(io.Discard, p.r)
}

func TestStartScopeBus(t *testing.T) {
	const unit = "nook-abc.scope"
	for _, tc := range []struct {
		name    string
		slice   string
		addr    string // DBUS_SESSION_BUS_ADDRESS, with %s for the directory
		listen  string // the socket, if not dir/bus
		timeout time.Duration
		serve   func(p *busPeer)
		want    string // the error, "" for none
		noUM    bool   // it is ErrNoUserManager
	}{
		{name: "done", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			c := p.startCall("")
			// Before the reply, as a busy systemd may: others' jobs and an
			// impostor's signal for the job, then the job itself.
			p.jobRemoved(":1.7", 1, "other.scope", "failed")
			p.jobRemoved(":1.66", 2, unit, "failed")
			p.jobRemoved(":1.7", 2, unit, "done")
			p.reply(c, ":1.7", jobPath(2))
			p.untilClosed()
		}},
		{name: "a slice, the job after the reply, an address list", slice: "nook.slice",
			addr: "tcp:host=localhost,port=1;unix:guid=01,path=%s/bus;unix:path=/nonexistent", serve: func(p *busPeer) {
				p.auth("OK 0123456789abcdef0123456789abcdef")
				p.hello()
				c := p.call(systemdName, systemdPath, systemdManager, "StartTransientUnit", "ssa(sv)a(sa(sv))", scopeBody("nook.slice")...)
				p.reply(c, ":1.7", jobPath(3))
				p.jobRemoved(":1.66", 3, unit, "failed")
				p.jobRemoved(":1.7", 2, unit, "failed")
				p.jobRemoved(":1.7", 3, unit, "done")
				p.untilClosed()
			}},
		{name: "replies out of order", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			h := p.call(busName, "/org/freedesktop/DBus", busName, "Hello", "")
			m := p.call(busName, "/org/freedesktop/DBus", busName, "AddMatch", "s", jobRemovedRule)
			c := p.startCall("")
			p.jobRemoved(":1.7", 2, unit, "done")
			p.reply(c, ":1.7", jobPath(2))
			p.send(&message{typ: msgReturn, replySerial: m.serial, sender: busName})
			p.send(&message{typ: msgReturn, replySerial: 99, sender: busName})
			p.send(&message{typ: msgReturn, replySerial: h.serial, sender: busName, body: []any{":1.8"}})
			p.untilClosed()
		}},
		{name: "an abstract socket", addr: "unix:abstract=nook-test-%s", listen: "@nook-test-%s", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			p.reply(p.startCall(""), ":1.7", jobPath(2))
			p.jobRemoved(":1.7", 2, unit, "done")
			p.untilClosed()
		}},
		{name: "the job fails", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			p.reply(p.startCall(""), ":1.7", jobPath(2))
			p.jobRemoved(":1.7", 2, unit, "failed")
			p.untilClosed()
		}, want: `create cgroup: systemd could not start the scope nook-abc.scope (job result "failed"): journalctl --user -u nook-abc.scope may say why`},
		{name: "refused", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			p.errorReply(p.startCall(""), "org.freedesktop.systemd1.UnitExists", "Unit nook-abc.scope was already\nloaded.")
			p.untilClosed()
		}, want: "create cgroup: systemd refused the scope nook-abc.scope: org.freedesktop.systemd1.UnitExists: Unit nook-abc.scope was already loaded."},
		{name: "no systemd on the bus", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			p.errorReply(p.startCall(""), "org.freedesktop.DBus.Error.ServiceUnknown", "The name org.freedesktop.systemd1 was not provided by any .service files")
			p.untilClosed()
		}, want: "no systemd user manager at unix:path=%s/bus (org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.systemd1 was not provided by any .service files): run nook in a systemd user session", noUM: true},
		{name: "authentication refused", serve: func(p *busPeer) {
			p.auth("REJECTED EXTERNAL")
			p.untilClosed()
		}, want: `no systemd user manager at unix:path=%s/bus (the bus refused authentication as uid ` + strconv.Itoa(os.Getuid()) + `: "REJECTED EXTERNAL")`, noUM: true},
		{name: "closed during authentication", serve: func(p *busPeer) {
			p.line("\x00AUTH EXTERNAL " + fmt.Sprintf("%x", strconv.Itoa(os.Getuid())) + "\r\n")
		}, want: "(the bus closed the connection during authentication)", noUM: true},
		{name: "Hello refused", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			m, _ := readMessage(p.r)
			p.errorReply(m, "org.freedesktop.DBus.Error.AccessDenied", "no")
			p.untilClosed()
		}, want: "(org.freedesktop.DBus.Error.AccessDenied: no)", noUM: true},
		{name: "a malformed message", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.write(rawMessage(msgReturn, 1, "\x05\x01s\x00\x01\x00\x00\x00a\x00", ""))
			p.untilClosed()
		}, want: "(dbus: malformed message: header field 5 of type s)", noUM: true},
		{name: "a reply not an object path", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			p.reply(p.startCall(""), ":1.7", "job")
			p.untilClosed()
		}, want: `create cgroup: systemd refused the scope nook-abc.scope: StartTransientUnit returned "s", not an object path`},
		{name: "closed before the job ends", serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			p.reply(p.startCall(""), ":1.7", jobPath(2))
		}, want: "create cgroup: waiting for systemd to start the scope nook-abc.scope: the bus closed the connection"},
		{name: "silent after authentication", timeout: 200 * time.Millisecond, serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.untilClosed()
		}, want: "create cgroup: the user bus at unix:path=%s/bus did not answer within 5s"},
		{name: "no reply from systemd", timeout: 200 * time.Millisecond, serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			p.startCall("")
			p.untilClosed()
		}, want: "create cgroup: systemd did not answer within 5s at unix:path=%s/bus"},
		{name: "no JobRemoved", timeout: 200 * time.Millisecond, serve: func(p *busPeer) {
			p.auth("OK 0123456789abcdef0123456789abcdef")
			p.hello()
			p.reply(p.startCall(""), ":1.7", jobPath(2))
			p.jobRemoved(":1.66", 2, unit, "done")
			p.untilClosed()
		}, want: "create cgroup: systemd did not start the scope nook-abc.scope within 5s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tag := strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			listen := tc.listen
			if listen != "" {
				listen = fmt.Sprintf(listen, tag)
			}
			b := startFakeBus(t, listen, tc.serve)
			if tc.addr != "" {
				arg := escapeAddressValue(b.dir)
				if tc.listen != "" {
					arg = tag
				}
				t.Setenv("DBUS_SESSION_BUS_ADDRESS", fmt.Sprintf(tc.addr, arg))
			}
			if tc.timeout == 0 {
				tc.timeout = busTimeout
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			start := time.Now()
			err := startScope(ctx, unit, scopeProperties("abc", tc.slice, 1))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				checkErr(t, err, strings.ReplaceAll(tc.want, "%s", b.dir))
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("%q is not one line", err)
				}
			}
			if errors.Is(err, ErrNoUserManager) != tc.noUM {
				t.Errorf("errors.Is(%v, ErrNoUserManager) = %v", err, !tc.noUM)
			}
			if d := time.Since(start); d > tc.timeout+time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// A cancelled context ends the conversation at once, as its deadline does.
func TestStartScopeCancelled(t *testing.T) {
	startFakeBus(t, "", func(p *busPeer) {
		p.auth("OK 0123456789abcdef0123456789abcdef")
		p.untilClosed()
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := startScope(ctx, "nook-abc.scope", scopeProperties("abc", "", 1))
	checkErr(t, err, "did not answer within")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, m := range []*message{
		helloCall(),
		{typ: msgCall, serial: 3, destination: systemdName, path: systemdPath, iface: systemdManager,
			member: "StartTransientUnit", body: []any{"nook-abc.scope", "fail", scopeProperties("abc", "nook.slice", 1), []auxUnit{}}},
		{typ: msgError, serial: 9, replySerial: 3, errorName: "org.freedesktop.DBus.Error.ServiceUnknown", body: []any{"x"}},
		{typ: msgSignal, serial: 10, sender: ":1.7", path: systemdPath, iface: systemdManager, member: "JobRemoved",
			body: []any{uint32(5), busPath("/org/freedesktop/systemd1/job/5"), "nook-abc.scope", "done"}},
	} {
		b, err := m.encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(bigEndianReturn))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMessage(b)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("%v is not errMalformed", err)
			}
			return
		}
		if m2, err := readMessage(bytes.NewReader(b)); err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("readMessage: %v, %v; parseMessage: %v", m2, err, m)
		}
		asJobRemoved(m)
	})
}
