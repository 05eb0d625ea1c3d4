//go:build linux

package caps

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Apply sets the calling thread's capabilities to c. Capabilities belong to a
// thread, not a process, and every call here (prctl, capset with pid 0) acts
// on the calling thread alone, so the caller must hold runtime.LockOSThread
// and execve on this same thread; the other Go threads keep their
// capabilities until execve ends them.
//
// last is the kernel's highest capability (LastCap): numbers above it are
// ignored in c, and every capability 0..last missing from c.Bounding is
// dropped, including ones newer than nook knows by name.
//
// To run the command as a non-root uid, set PR_SET_KEEPCAPS, switch uid, then
// call Apply: the switch empties the effective set, and Apply raises it back
// from the permitted set before it needs CAP_SETPCAP.
func Apply(c Caps, last int) error {
	if last > 63 {
		last = 63
	}
	if extra := c.Effective &^ c.Permitted; extra != 0 {
		return fmt.Errorf("apply capabilities: effective %s not in permitted", extra)
	}
	if extra := c.Ambient &^ (c.Permitted & c.Inheritable); extra != 0 {
		return fmt.Errorf("apply capabilities: ambient %s not in both permitted and inheritable", extra)
	}
	if err := raiseEffective(); err != nil {
		return err
	}
	// The bounding set goes first: dropping from it needs CAP_SETPCAP in the
	// effective set, which the capset below may take away.
	if err := dropBounding(c.Bounding, last); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := capData(c, last)
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset effective=[%s] permitted=[%s] inheritable=[%s]: %w",
			c.Effective, c.Permitted, c.Inheritable, err)
	}
	// Ambient comes after capset because the kernel raises an ambient
	// capability only when it is already permitted and inheritable.
	for n := 0; n <= last; n++ {
		if !c.Ambient.Has(n) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0); err != nil {
			return fmt.Errorf("raise ambient capability %s: %w", Name(n), err)
		}
	}
	return nil
}

// raiseEffective makes the effective set equal the permitted one, so that a
// thread whose uid switch emptied its effective set still holds CAP_SETPCAP
// for dropBounding.
func raiseEffective() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	if data[0].Effective == data[0].Permitted && data[1].Effective == data[1].Permitted {
		return nil
	}
	data[0].Effective, data[1].Effective = data[0].Permitted, data[1].Permitted
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: raise effective to permitted: %w", err)
	}
	return nil
}

func dropBounding(keep Set, last int) error {
	for n := 0; n <= last; n++ {
		if keep&(1<<n) != 0 {
			continue
		}
		// Reading first skips capabilities already gone, so a thread
		// without CAP_SETPCAP can still re-apply the bounding set it has.
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			// The kernel does not know n: last was overstated (LastCap's
			// fallback on an older kernel). Nothing above n exists either.
			return nil
		}
		if err != nil {
			return fmt.Errorf("read bounding capability %s: %w", capLabel(n), err)
		}
		if in == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
			return fmt.Errorf("drop %s from the bounding set: %w", capLabel(n), err)
		}
	}
	return nil
}

// capData lays c out as capset(2) version 3 expects: word 0 holds
// capabilities 0..31, word 1 holds 32..63. Bits above last are cleared so a
// kernel that lacks a capability is never asked for it.
func capData(c Caps, last int) [2]unix.CapUserData {
	mask := ^Set(0)
	if last < 63 {
		mask = 1<<(last+1) - 1
	}
	e, p, i := c.Effective&mask, c.Permitted&mask, c.Inheritable&mask
	return [2]unix.CapUserData{
		{Effective: uint32(e), Permitted: uint32(p), Inheritable: uint32(i)},
		{Effective: uint32(e >> 32), Permitted: uint32(p >> 32), Inheritable: uint32(i >> 32)},
	}
}

// capLabel names n even when it is newer than nook's table.
func capLabel(n int) string {
	if name := Name(n); name != "" {
		return name
	}
	return fmt.Sprintf("capability %d", n)
}
