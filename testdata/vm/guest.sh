# The test VM's PID 1 after the switch to the host's / (see README.md), run
# by the host's static busybox (its applets run without a PATH lookup). It
# sets the machine up as a systemd host with a delegated user session would
# be, runs the test command as root in the session's cgroup and reports the
# exit status on the third serial port, then powers off.
#
# Environment (from the kernel command line): nook_params, a file that sets
#   NOOK_VM_USER  the unprivileged user the delegation is for
#   NOOK_VM_DIR   the directory to run the command in
# and the command as the positional parameters, env(1) style: NAME=VALUE
# words first, for its environment.

# Serial ports: ttyS0 the console (kernel log, this script's messages),
# ttyS1 the command's output, ttyS2 its exit status.
status() {
	stty -F /dev/ttyS2 raw -echo 2>/dev/null
	echo "nook-vm-exit $1" >/dev/ttyS2
}

die() {
	echo "nook-vm guest: $*"
	status setup-failed
	/bin/busybox poweroff -f
	exit 1
}

set -u
# init moved /proc and /dev here; busybox needs /proc to run its applets.
[ -e /proc/self/exe ] || /bin/busybox mount -t proc proc /proc || die "mount /proc failed"
mount -t sysfs sysfs /sys || die "mount /sys failed"
grep -q ' /dev devtmpfs ' /proc/mounts || mount -t devtmpfs devtmpfs /dev || die "mount /dev failed"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o nosuid,noexec,gid=5,mode=620,ptmxmode=000 devpts /dev/pts || die "mount /dev/pts failed"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm || die "mount /dev/shm failed"
if [ -c /dev/net/tun ]; then
	chmod 0666 /dev/net/tun
fi

[ -r "${nook_params:-}" ] || die "cannot read the parameters file nook_params=${nook_params:-}"
# shellcheck disable=SC1090
. "$nook_params"
user=$NOOK_VM_USER
uid=$(id -u "$user") || die "no user $user (run .ci/setup)"
gid=$(id -g "$user") || die "no user $user"
home=$(grep "^$user:" /etc/passwd | cut -d: -f6)

# Writable scratch space of the guest's own: tmpfs, so that it supports what
# overlayfs needs of an upper layer (the root is an overlay itself).
for d in /tmp /var/tmp; do
	mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$d" || die "mount $d failed"
done
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run || die "mount /run failed"
mkdir -p "/run/user/$uid"
chown "$uid:$gid" "/run/user/$uid"
chmod 0700 "/run/user/$uid"
if [ -n "$home" ] && [ -d "$home" ]; then
	mode=$(stat -c %a "$home")
	mount -t tmpfs -o "nosuid,nodev,mode=$mode,uid=$uid,gid=$gid" tmpfs "$home" || die "mount $home failed"
fi
hostname nook-vm
ip link set lo up

# cgroup v2 as systemd mounts it, and the user's session the way systemd
# lays it out: user.slice/user-UID.slice/user@UID.service with the
# controllers enabled down to it and the service delegated (Delegate=yes
# chowns the directory and these three files), its init.scope (the user's
# manager's) and a session scope in app.slice that the test user's commands
# are started in (NOOK_E2E_USER_CGROUP); root's own processes (this shell,
# the test binary) stay outside the user's tree, in system.slice, as on a
# systemd host.
cg=/sys/fs/cgroup
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $cg || die "mount cgroup2 failed"
slice=$cg/user.slice/user-$uid.slice
svc=$slice/user@$uid.service
mkdir -p "$svc/init.scope" "$svc/app.slice/nook-tests.scope" "$cg/system.slice/nook-vm.service" || die "mkdir the session cgroups failed"
for d in $cg $cg/user.slice "$slice"; do
	for c in cpu cpuset io memory pids; do
		echo "+$c" >"$d/cgroup.subtree_control" || die "enable $c in $d failed (controllers: $(cat "$d/cgroup.controllers"))"
	done
done
chown "$uid:$gid" "$svc" "$svc/cgroup.procs" "$svc/cgroup.subtree_control" "$svc/cgroup.threads" || die "delegate $svc failed"
chown -R "$uid:$gid" "$svc/init.scope" "$svc/app.slice" || die "chown the user's cgroups failed"
echo $$ >"$cg/system.slice/nook-vm.service/cgroup.procs" || die "move into system.slice failed"

cd "$NOOK_VM_DIR" || die "cd $NOOK_VM_DIR failed"
stty -F /dev/ttyS1 raw -echo || die "stty ttyS1 failed"
echo "nook-vm guest: running $* (as root, in system.slice; the user's commands in $svc/app.slice/nook-tests.scope)"
# A clean environment, plus what run.sh asked for. The host's env, not
# busybox's, which would prefer its own applets to the host's commands. The
# shell waits with waitpid(-1): it also reaps whatever gets orphaned to it.
/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root USER=root LOGNAME=root LANG=C NOOK_E2E_USER_CGROUP="$svc/app.slice/nook-tests.scope" "$@" >/dev/ttyS1 2>&1 </dev/null
rc=$?
echo "nook-vm guest: exit status $rc"
status "$rc"
poweroff -f
