package store

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestSpreadSubdirsSetsTopDirWhereSupported(t *testing.T) {
	dir := t.TempDir()
	SpreadSubdirs(dir)
	SpreadSubdirs(dir) // again: no error, no change
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Logf("%s: no inode flags here (%v); SpreadSubdirs is a no-op", dir, err)
		return
	}
	var st unix.Statfs_t
	if unix.Fstatfs(fd, &st) == nil && st.Type == unix.EXT4_SUPER_MAGIC && flags&topDirFlag == 0 {
		t.Errorf("ext4 directory without FS_TOPDIR_FL after SpreadSubdirs: flags %#x", flags)
	}
}
