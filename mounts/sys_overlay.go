package mounts

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// MountOverlay mounts o at dst with the new mount API. Only userxattr is
// set: a user namespace's overlay needs it (trusted.* xattrs are out of
// its reach), and with it the kernel itself turns off redirect_dir and
// metacopy, which would need them.
func (Kernel) MountOverlay(o Overlay, dst string) error {
	fs, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(fs)
	for _, l := range o.Lower {
		if err := unix.FsconfigSetString(fs, "lowerdir+", l); err != nil {
			return fsconfigError(fs, "lowerdir+ "+l, err)
		}
	}
	if err := unix.FsconfigSetString(fs, "upperdir", o.Upper); err != nil {
		return fsconfigError(fs, "upperdir "+o.Upper, err)
	}
	if err := unix.FsconfigSetString(fs, "workdir", o.Work); err != nil {
		return fsconfigError(fs, "workdir "+o.Work, err)
	}
	if err := unix.FsconfigSetFlag(fs, "userxattr"); err != nil {
		return fsconfigError(fs, "userxattr", err)
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return fsconfigError(fs, "create", err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount: %w", err)
	}
	defer unix.Close(mnt)
	return unix.MoveMount(mnt, "", unix.AT_FDCWD, dst, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

// fsconfigError adds what the filesystem explained in the context's log
// (overlayfs says which layer it refused and why).
func fsconfigError(fs int, step string, err error) error {
	if log := fsLog(fs); log != "" {
		return fmt.Errorf("fsconfig %s: %w: %s", step, err, log)
	}
	return fmt.Errorf("fsconfig %s: %w", step, err)
}

func fsLog(fs int) string {
	var msgs []string
	buf := make([]byte, 1024)
	for range 16 {
		n, err := unix.Read(fs, buf)
		if err != nil || n <= 0 {
			break
		}
		// Each message is "e overlayfs: ..." (e, w or i for its level).
		msg := string(buf[:n])
		if len(msg) > 2 && msg[1] == ' ' {
			msg = msg[2:]
		}
		msgs = append(msgs, strings.TrimSpace(msg))
	}
	return strings.Join(msgs, "; ")
}

func (Kernel) Chdir(dir string) error { return unix.Chdir(dir) }
