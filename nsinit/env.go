package nsinit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// defaultEnv fills in what Docker sets when the caller did not.
func defaultEnv(env []string, u user, hostname string, tty bool) []string {
	set := func(k, v string) {
		for _, e := range env {
			if strings.HasPrefix(e, k+"=") {
				return
			}
		}
		env = append(env, k+"="+v)
	}
	set("PATH", defaultPath)
	if hostname != "" {
		set("HOSTNAME", hostname)
	}
	set("HOME", u.Home)
	if tty {
		set("TERM", "xterm")
	}
	return env
}

// lookPath finds the command in the container's PATH; Docker's statuses:
// 127 when nothing is there, 126 when it is there but not executable.
func lookPath(cmd string, env []string) (string, error) {
	if strings.Contains(cmd, "/") {
		return checkExecutable(cmd)
	}
	path := defaultPath
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p, err := checkExecutable(filepath.Join(dir, cmd))
		if err == nil {
			return p, nil
		}
		var ce *codeError
		if errors.As(err, &ce) && ce.code == codeCannotExec && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", denied
	}
	return "", withCode(codeNotFound, "%q: executable file not found in $PATH", cmd)
}

func checkExecutable(p string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", withCode(codeNotFound, "%s: no such file or directory", p)
		}
		return "", withCode(codeCannotExec, "%s: %v", p, errors.Unwrap(err))
	}
	if st.IsDir() {
		return "", withCode(codeCannotExec, "%s: is a directory", p)
	}
	if st.Mode()&0o111 == 0 {
		return "", withCode(codeCannotExec, "%s: permission denied", p)
	}
	return p, nil
}
