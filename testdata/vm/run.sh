#!/usr/bin/env bash
# Runs a command in a throw-away cgroup v2 VM and returns its result: see
# README.md. `just test-vm` runs the e2e VM tests with it.
#
#   testdata/vm/run.sh [-C DIR] [-u USER] [NAME=VALUE...] COMMAND [ARG...]
#
# The VM is Debian's kernel under qemu (TCG), booted with cgroup_no_v1=all,
# whose root is the host's / (read-only, over 9p) under a tmpfs overlay: host
# paths are the same inside, and nothing written inside survives. There
# COMMAND runs as root, in DIR (default: the current directory), with a
# clean environment plus the NAME=VALUE words, inside the cgroup v2 session
# delegated to USER (default $NOOK_TEST_USER or nooktest) as systemd does it.
# Its output (stdout and stderr together) is streamed here, to stdout, and
# its exit status is ours. Use absolute paths or paths relative to DIR.
#
# Environment:
#   NOOK_VM_CACHE    the kernel cache testdata/vm/kernel.sh fills (/var/cache/nook-vm)
#   NOOK_VM_OUT      where the run's files go (bin/vm of the checkout):
#                    console.log (the guest's console), output.log (COMMAND's output)
#   NOOK_VM_TIMEOUT  seconds before qemu is killed (600)
#   NOOK_VM_MODULES  extra kernel modules to load, after the standard ones
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${NOOK_VM_CACHE:-/var/cache/nook-vm}
out=${NOOK_VM_OUT:-$repo/bin/vm}
limit=${NOOK_VM_TIMEOUT:-600}
# In load order: each needs only the ones before it.
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p overlay tun)
read -ra extra <<<"${NOOK_VM_MODULES:-}"
modules+=("${extra[@]}")

die() {
	echo "test-vm: $*" >&2
	exit 1
}

dir=$PWD
user=${NOOK_TEST_USER:-nooktest}
while getopts C:u: opt; do
	case $opt in
	C) dir=$(cd "$OPTARG" && pwd) || die "-C $OPTARG: no such directory" ;;
	u) user=$OPTARG ;;
	*) die "usage: run.sh [-C DIR] [-u USER] [NAME=VALUE...] COMMAND [ARG...]" ;;
	esac
done
shift $((OPTIND - 1))
(($# > 0)) || die "usage: run.sh [-C DIR] [-u USER] [NAME=VALUE...] COMMAND [ARG...]"

# What the VM needs: .ci/setup provides all of it.
hint="run .ci/setup (as root)"
for tool in qemu-system-x86_64 cpio timeout flock; do
	command -v "$tool" >/dev/null || die "$tool is missing: $hint"
done
[[ -x /bin/busybox ]] || die "/bin/busybox (busybox-static) is missing: $hint"
kernel=$cache/current
[[ -s $kernel/vmlinux && -d $kernel/modules ]] || die "no VM kernel in $kernel: $hint"
id -u "$user" >/dev/null 2>&1 || die "no user $user: $hint"
[[ $dir$here$out != *[[:space:]]* ]] || die "paths with white space cannot go on the kernel command line"

mkdir -p "$out"
out=$(cd "$out" && pwd)
# One VM at a time per output directory (and two would share 2 cores anyway).
exec 8>"$out/lock"
if ! flock -n 8; then
	echo "test-vm: waiting for the other VM run using $out" >&2
	flock 8
fi
rm -rf "$out/initramfs" "$out/initramfs.cpio" "$out/console.log" "$out/output.log" \
	"$out/status" "$out/output.in" "$out/output.out" "$out/params"

# The initramfs: busybox, the modules and init. Modules that are not files
# are built in, or missing: init would stop at the first one it lacks.
stage=$out/initramfs
mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/lib/modules"
cp /bin/busybox "$stage/bin/busybox"
cp "$here/init" "$stage/init"
chmod 0755 "$stage/init"
: >"$stage/modules"
for m in "${modules[@]}"; do
	ko=$(find "$kernel/modules/kernel" -name "$m.ko" -print -quit)
	if [[ -z $ko ]]; then
		grep -q "/$m.ko\$" "$kernel/modules/modules.builtin" ||
			die "kernel module $m is neither in $kernel/modules nor built in"
		continue
	fi
	cp "$ko" "$stage/lib/modules/$m.ko"
	echo "$m" >>"$stage/modules"
done
(cd "$stage" && find . | cpio -o -H newc -R 0:0 --quiet) >"$out/initramfs.cpio"

# The guest's parameters: guest.sh sources this file.
{
	printf 'NOOK_VM_USER=%q\n' "$user"
	printf 'NOOK_VM_DIR=%q\n' "$dir"
	printf 'set --'
	printf ' %q' "$@"
	printf '\n'
} >"$out/params"

cmdline="console=ttyS0 quiet mitigations=off cgroup_no_v1=all cryptomgr.notests panic=-1"
cmdline+=" nook_guest=$here/guest.sh nook_params=$out/params"

# ttyS1 (the command's output) is a FIFO pair that tee drains to stdout as
# it comes; ttyS0 (the console) and ttyS2 (the exit status) go to files.
mkfifo "$out/output.in" "$out/output.out"
tee "$out/output.log" <"$out/output.out" &
tee_pid=$!

qemu_pid=""
finish() {
	if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid" 2>/dev/null || true # timeout passes it on to qemu
		wait "$qemu_pid" 2>/dev/null || true
	fi
	# Opening the FIFO for writing releases a tee still waiting in open
	# (qemu never started); a tee already reading gets EOF after the rest.
	if kill -0 "$tee_pid" 2>/dev/null; then
		exec 9<>"$out/output.out"
		exec 9>&-
		wait "$tee_pid" 2>/dev/null || true
	fi
	rm -f "$out/output.in" "$out/output.out"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

start=$SECONDS
# --foreground keeps qemu in our process group: a CI job's kill reaches it.
timeout --foreground -k 10 "$limit" \
	qemu-system-x86_64 -machine pc -accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
	-nodefaults -display none -no-reboot \
	-kernel "$kernel/vmlinux" -initrd "$out/initramfs.cpio" -append "$cmdline" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-chardev file,id=console,path="$out/console.log" -serial chardev:console \
	-chardev pipe,id=output,path="$out/output" -serial chardev:output \
	-chardev file,id=status,path="$out/status" -serial chardev:status \
	</dev/null &
qemu_pid=$!
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=""
finish
trap - EXIT
elapsed=$((SECONDS - start))

status=$(tr -d '\r' <"$out/status" 2>/dev/null | awk '$1 == "nook-vm-exit" { print $2 }' | tail -n 1)
if [[ $status =~ ^[0-9]+$ ]]; then
	echo "test-vm: exit status $status after ${elapsed}s (console: $out/console.log)" >&2
	exit "$status"
fi
if ((qemu_rc == 124 || qemu_rc == 137)); then
	why="timed out (NOOK_VM_TIMEOUT=$limit), qemu killed"
elif ((qemu_rc != 0)); then
	why="qemu failed (exit status $qemu_rc)"
elif [[ -n $status ]]; then
	why="the guest's $status"
else
	why="the VM died without reporting an exit status"
fi
echo "test-vm: $why after ${elapsed}s; the end of $out/console.log:" >&2
tail -n 40 "$out/console.log" >&2 2>/dev/null || true
exit 1
