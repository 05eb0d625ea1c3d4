package initbin

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSealedCannotChange(t *testing.T) {
	f, err := Sealed([]byte("#!/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("wrote to a sealed init program")
	}
	if err := unix.Ftruncate(int(f.Fd()), 0); err == nil {
		t.Error("truncated a sealed init program")
	}
	// /proc/self/fd is how it is executed, and how a process could try to
	// reach it again.
	again, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), os.O_WRONLY, 0)
	if err == nil {
		defer again.Close()
		if _, err := again.Write([]byte("x")); err == nil {
			t.Error("wrote to a sealed init program through /proc/self/fd")
		}
	}
}

func TestOpen(t *testing.T) {
	f, err := Open()
	if !Embedded() {
		if err == nil {
			t.Error("Open without an embedded program succeeded")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}
