package cli

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// pageOutBinary drops this process's mappings of the pages of nook's own
// binary it has touched (read-only, file-backed: MADV_DONTNEED only unmaps
// them, the page cache keeps them). A supervisor ran the whole CLI's start-up
// (package inits, flag parsing, the image and network stacks' set-up) and
// then idles for as long as the container lives, touching a small part of
// them: the rest would count as its resident memory for nothing. Pages it
// needs again are mapped back from the page cache on their next use.
// (MADV_PAGEOUT does nothing here: it leaves pages the page cache shares.)
func pageOutBinary() {
	self, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != self || strings.Contains(fields[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}
