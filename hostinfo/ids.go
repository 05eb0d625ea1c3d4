package hostinfo

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// subIDRange is the size podman and useradd hand out: enough for any image.
const subIDRange = 65536

func subIDChecks(e Env) []Check {
	if e.UID == 0 && len(e.SubUIDs) == 0 && len(e.SubGIDs) == 0 {
		// As real root nook maps no ids: nothing to fix.
		return []Check{ok("subordinate uids", "not needed as root"), ok("subordinate gids", "not needed as root")}
	}
	start := freeSubIDStart(e.EtcRoot)
	r := fmt.Sprintf("%d-%d", start, start+subIDRange-1)
	u := userForFix(e)
	uids := ok("subordinate uids", strings.Join(e.SubUIDs, ", "))
	gids := ok("subordinate gids", strings.Join(e.SubGIDs, ", "))
	switch {
	case len(e.SubUIDs) == 0 && len(e.SubGIDs) == 0:
		uids = problem(uids.Name, "none", "sudo usermod --add-subuids "+r+" --add-subgids "+r+" "+u)
		gids = problem(gids.Name, "none", "added by the usermod command for subordinate uids")
	case len(e.SubUIDs) == 0:
		uids = problem(uids.Name, "none", "sudo usermod --add-subuids "+r+" "+u)
	case len(e.SubGIDs) == 0:
		gids = problem(gids.Name, "none", "sudo usermod --add-subgids "+r+" "+u)
	}
	return []Check{uids, gids}
}

// freeSubIDStart suggests a range after every range already handed out, so
// that pasting the fix on a shared runner does not overlap another user's.
// Only the numbers are read; who owns which range is the caller's business.
func freeSubIDStart(etcRoot string) int64 {
	start := int64(100000)
	for _, name := range []string{"subuid", "subgid"} {
		f, err := os.Open(filepath.Join(etcRoot, name))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			p := strings.Split(strings.TrimSpace(sc.Text()), ":")
			if len(p) != 3 {
				continue
			}
			first, err1 := strconv.ParseInt(p[1], 10, 64)
			count, err2 := strconv.ParseInt(p[2], 10, 64)
			if err1 == nil && err2 == nil && first+count > start {
				start = first + count
			}
		}
		f.Close()
	}
	return start
}

// Capability numbers from linux/capability.h.
const (
	capSetGID = 6
	capSetUID = 7
)

func helperCheck(name, path string, capBit uint, osr osRelease) Check {
	if path == "" {
		return problem(name, "not found", installUIDMap(osr))
	}
	st, err := os.Stat(path)
	if err != nil {
		return problem(name, err.Error(), installUIDMap(osr))
	}
	var owner uint32
	if s, isUnix := st.Sys().(*syscall.Stat_t); isUnix {
		owner = s.Uid
	}
	// Fedora and its relatives ship the helpers with file capabilities instead
	// of the setuid bit; both work.
	caps := make([]byte, 24)
	n, err := unix.Getxattr(path, "security.capability", caps)
	if err != nil {
		n = 0
	}
	return classifyHelper(name, path, st.Mode(), owner, caps[:n], capBit)
}

func classifyHelper(name, path string, mode fs.FileMode, owner uint32, caps []byte, capBit uint) Check {
	switch {
	case mode&fs.ModeSetuid != 0 && owner == 0:
		return ok(name, path+" (setuid root)")
	case hasFileCap(caps, capBit):
		return ok(name, path+" (file capabilities)")
	case mode&fs.ModeSetuid != 0:
		return problem(name, fmt.Sprintf("%s (setuid, but owned by uid %d)", path, owner),
			"sudo chown root "+path+" && sudo chmod u+s "+path)
	}
	return problem(name, path+" (neither setuid nor file capabilities)", "sudo chmod u+s "+path)
}

// hasFileCap decodes a security.capability xattr (struct vfs_cap_data): the
// capability must be permitted and the effective flag set, because the
// helpers do not raise capabilities themselves.
func hasFileCap(b []byte, capBit uint) bool {
	const effective = 0x000001
	if len(b) < 8 || capBit >= 32 {
		return false
	}
	magic := binary.LittleEndian.Uint32(b[0:4])
	permitted := binary.LittleEndian.Uint32(b[4:8])
	return magic&effective != 0 && permitted&(1<<capBit) != 0
}

func installUIDMap(osr osRelease) string {
	switch {
	case osr.is("debian", "ubuntu"):
		return "sudo apt-get install uidmap"
	case osr.is("fedora", "rhel", "centos"):
		return "sudo dnf install shadow-utils"
	case osr.is("suse", "opensuse"):
		return "sudo zypper install shadow"
	case osr.is("arch"):
		return "sudo pacman -S shadow"
	case osr.is("alpine"):
		return "sudo apk add shadow-uidmap"
	}
	return "install your distribution's uidmap (shadow) package"
}
