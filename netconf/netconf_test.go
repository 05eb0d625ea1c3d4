package netconf

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeKernel records what Setup asks for and fails where told.
type fakeKernel struct {
	calls              []string
	openErr, createErr error
	failSeq            int
	closed             []int
	batch              []byte
	n                  int
}

func (k *fakeKernel) OpenTun() (int, error) {
	k.calls = append(k.calls, "open")
	return 9, k.openErr
}

func (k *fakeKernel) CreateTAP(fd int, name string) error {
	k.calls = append(k.calls, "create "+name)
	return k.createErr
}

func (k *fakeKernel) Index(name string) (int, error) {
	k.calls = append(k.calls, "index "+name)
	return 7, nil
}

func (k *fakeKernel) Request(b []byte, n int) (int, error) {
	k.calls = append(k.calls, "request")
	k.batch, k.n = b, n
	if k.failSeq != 0 {
		return k.failSeq, unix.EEXIST
	}
	return 0, nil
}

func (k *fakeKernel) Close(fd int) { k.closed = append(k.closed, fd) }

func (k *fakeKernel) WriteFile(path, value string) error {
	k.calls = append(k.calls, "write "+path+"="+value)
	return nil
}

func TestSetup(t *testing.T) {
	k := &fakeKernel{}
	fd, err := Setup(k, testConfig())
	if err != nil || fd != 9 {
		t.Fatalf("Setup = %d, %v", fd, err)
	}
	if got := strings.Join(k.calls, ", "); got != "open, create tap0, index tap0, request" {
		t.Errorf("calls: %s", got)
	}
	if string(k.batch) != string(requests(testConfig(), 7).b) || k.n != 4 {
		t.Errorf("batch of %d requests differs from requests()", k.n)
	}
	if len(k.closed) != 0 {
		t.Errorf("closed %v on success", k.closed)
	}
}

// Every failure is one line naming the step, and the TAP descriptor is
// closed on the way out.
func TestSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		k      *fakeKernel
		want   []string
		closed bool
	}{
		{"tun missing", &fakeKernel{openErr: unix.ENOENT}, []string{"/dev/net/tun does not exist", "modprobe tun", "mknod", "--network none"}, false},
		{"tun not openable", &fakeKernel{openErr: unix.EACCES}, []string{"permission denied", "chmod 0666 /dev/net/tun", "as distributions ship it"}, false},
		{"tun refused by a device cgroup", &fakeKernel{openErr: unix.EPERM}, []string{"device cgroup", "--device /dev/net/tun"}, false},
		{"tun no device", &fakeKernel{openErr: unix.ENODEV}, []string{"no such device", "modprobe tun"}, false},
		{"tap refused", &fakeKernel{createErr: unix.EPERM}, []string{"refused to create the TAP device tap0", "operation not permitted", "--network none"}, true},
		{"address exists", &fakeKernel{failSeq: 3}, []string{"add address 10.0.2.100/24 to tap0", "file exists"}, true},
		{"route", &fakeKernel{failSeq: 4}, []string{"default route via 10.0.2.2 on tap0"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Setup(tc.k, testConfig())
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("more than one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not mention %q", msg, w)
				}
			}
			if got := len(tc.k.closed) == 1 && tc.k.closed[0] == 9; got != tc.closed {
				t.Errorf("closed %v, want the TAP closed: %v", tc.k.closed, tc.closed)
			}
		})
	}
}

func TestParseAcks(t *testing.T) {
	// Two acknowledgements in one datagram: success of 1, EEXIST for 2
	// (the kernel appends the request's header to an error).
	var b []byte
	for _, a := range []struct {
		seq  uint32
		code int32
	}{{1, 0}, {2, -int32(unix.EEXIST)}} {
		m := &batch{}
		start := m.begin(unix.NLMSG_ERROR, 0, "")
		m.b[start+8] = byte(a.seq)
		m.u32(uint32(a.code))
		m.b = append(m.b, make([]byte, unix.NLMSG_HDRLEN)...)
		m.end(start)
		b = append(b, m.b...)
	}
	acks, err := parseAcks(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(acks) != 2 || acks[0] != (ack{1, 0}) || acks[1] != (ack{2, unix.EEXIST}) {
		t.Errorf("acks %+v", acks)
	}
	for _, n := range []int{3, unix.NLMSG_HDRLEN + 2} {
		if _, err := parseAcks(b[:n]); err == nil {
			t.Errorf("%d bytes: no error", n)
		}
	}
}
