package netconf

import (
	"encoding/binary"
	"unsafe"
)

func native32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}
