package initbin

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// withProgram runs a test with b as the embedded program and a fresh
// shared copy.
func withProgram(t *testing.T, b []byte) {
	t.Helper()
	saved := program
	program = b
	resetShared()
	t.Cleanup(func() {
		program = saved
		resetShared()
	})
}

func resetShared() {
	shared.once, shared.fillOnce = sync.Once{}, sync.Once{}
	shared.f, shared.err, shared.ready, shared.sealedR, shared.sealedW = nil, nil, nil, nil, nil
}

func contents(t *testing.T, f *os.File) []byte {
	t.Helper()
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func inode(t *testing.T, f *os.File) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestProgramIsOneSealedCopyAboveMinFD(t *testing.T) {
	want := bytes.Repeat([]byte("nook-init "), 5000)
	withProgram(t, want)
	Prefetch()
	f, err := Program()
	if err != nil {
		t.Fatal(err)
	}
	if int(f.Fd()) < MinFD {
		t.Errorf("program's descriptor %d is below %d: a child's dup2 could replace it", f.Fd(), MinFD)
	}
	if !sealedCopy(int(f.Fd())) {
		t.Error("the program is not sealed")
	}
	if !bytes.Equal(contents(t, f), want) {
		t.Error("the copy differs from the program")
	}
	again, _ := Program()
	if again != f {
		t.Error("a second Program made another copy")
	}
}

func TestProgramWithoutEmbeddedFails(t *testing.T) {
	withProgram(t, nil)
	if _, err := Program(); err == nil {
		t.Fatal("Program without an embedded program succeeded")
	}
	if _, _, ok := Handoff(); ok {
		t.Error("Handoff without an embedded program offered one")
	}
}

// handed simulates a child that inherited the parent's copy: duplicates
// of what Handoff gave, then a fresh process state.
func handed(t *testing.T) (prog, sealed int, parent *os.File) {
	t.Helper()
	p, s, ok := Handoff()
	if !ok {
		t.Fatal("Handoff offered nothing")
	}
	parent, err := Program()
	if err != nil {
		t.Fatal(err)
	}
	prog, _ = unix.Dup(int(p.Fd()))
	sealed, _ = unix.Dup(int(s.Fd()))
	resetShared()
	return prog, sealed, parent
}

func TestInheritTakesTheParentsCopy(t *testing.T) {
	// No collection until the check below asks for one: a finalizer that
	// closes an inherited number again must find it reused.
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	want := bytes.Repeat([]byte("x"), 70000)
	withProgram(t, want)
	prog, sealed, parent := handed(t)
	Inherit(prog, sealed)
	f, err := Program()
	if err != nil {
		t.Fatal(err)
	}
	if inode(t, f) != inode(t, parent) {
		t.Error("the child made a copy of its own instead of taking the parent's")
	}
	if int(f.Fd()) < MinFD {
		t.Errorf("inherited descriptor %d is below %d", f.Fd(), MinFD)
	}
	if _, err := unix.FcntlInt(uintptr(prog), unix.F_GETFD, 0); err == nil {
		t.Error("the inherited descriptor itself was left open")
	}
	// Descriptors opened after, with the inherited numbers, must survive
	// any finalizer of the inherited ones.
	var later []int
	for len(later) < 64 {
		fd, _ := unix.Dup(0)
		later = append(later, fd)
		if fd == sealed {
			break
		}
	}
	for range 10 {
		runtime.GC() // finalizers run after, on a goroutine of their own
		time.Sleep(2 * time.Millisecond)
	}
	for _, fd := range later {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			t.Errorf("descriptor %d, opened after Inherit, was closed behind our back", fd)
		}
		unix.Close(fd)
	}
}

func TestInheritRefusesWhatIsNotASealedCopy(t *testing.T) {
	want := []byte("the real program")
	withProgram(t, want)
	for name, mk := range map[string]func() int{
		"unsealed memfd": func() int {
			fd, _ := unix.MemfdCreate("x", unix.MFD_ALLOW_SEALING)
			unix.Write(fd, want)
			return fd
		},
		"sealed, other size": func() int {
			fd, _ := unix.MemfdCreate("x", unix.MFD_ALLOW_SEALING)
			unix.Write(fd, []byte("short"))
			unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SEAL|unix.F_SEAL_WRITE|unix.F_SEAL_GROW|unix.F_SEAL_SHRINK)
			return fd
		},
		"a regular file": func() int {
			f, _ := os.CreateTemp(t.TempDir(), "p")
			f.Write(want)
			fd, _ := unix.Dup(int(f.Fd()))
			f.Close()
			return fd
		},
	} {
		t.Run(name, func(t *testing.T) {
			resetShared()
			r, w, _ := os.Pipe()
			w.Close()
			sealed, _ := unix.Dup(int(r.Fd()))
			r.Close()
			prog := mk()
			var st unix.Stat_t
			unix.Fstat(prog, &st)
			Inherit(prog, sealed)
			f, err := Program()
			if err != nil {
				t.Fatal(err)
			}
			if inode(t, f) == st.Ino {
				t.Error("took a descriptor that is not a sealed copy of the program")
			}
			if !sealedCopy(int(f.Fd())) || !bytes.Equal(contents(t, f), want) {
				t.Error("the copy made instead is not the sealed program")
			}
		})
	}
}
