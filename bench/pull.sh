#!/usr/bin/env bash
# Image pull and container start, nook against rootless podman, side by side
# in one run: a local registry (Debian's docker-registry on 127.0.0.1, plain
# HTTP) serves a ≈100 MB six-layer image (bench/mkimage) and hyperfine times
#
#   cold pull   the image absent from the tool's store before every run
#               (--prepare removes it), so each run downloads, verifies and
#               unpacks all six layers
#   warm pull   the image present: the registry round trip and the store
#   run         `run --rm --network none IMAGE true` with the image present
#
# The measured commands run as the unprivileged test user, as users run
# them, each tool with its store in a fresh directory on a tmpfs (see
# STORE_DIR below). Run as root (after .ci/setup, plus: apt-get install
# podman runc docker-registry).
#
#   bench/pull.sh                          results in bin/bench/pull.{md,json}
#   PULL_RUNS=3 RUN_RUNS=20 bench/pull.sh  fewer runs
#   NOOK=/path/to/nook bench/pull.sh       another nook binary
#   STORE_DIR=/var/tmp bench/pull.sh       the stores on disk
#   BENCH_ONLY=life bench/pull.sh          the lifecycle instead (just bench-life):
#                                          run -d, exec, rm -f and the idle
#                                          supervisor's memory, in bin/bench/life.{md,json}
#
# podman on this kind of host (Debian 12's podman 4.3, a hybrid cgroup v1
# host without a systemd user session) needs, all set up below:
#   - XDG_RUNTIME_DIR: a 0700 directory of the user's (no /run/user/UID here)
#   - cgroup_manager = "cgroupfs" (no user bus for the systemd manager)
#   - runtime = "runc": crun 1.8 refuses the hybrid hierarchy ("cgroups in
#     hybrid mode not supported, drop all controllers from cgroupv2": the
#     cgroup2 mount has hugetlb enabled); runc 1.1 runs there
#   - events_logger = "file" (no journal for the user)
#   - storage driver overlay, native (kernel ≥ 5.13 allows it unprivileged;
#     podman reports "Native Overlay Diff: true"), no fuse-overlayfs
#   - the registry marked insecure (plain HTTP) in a registries.conf given
#     by CONTAINERS_REGISTRIES_CONF: podman 4.3 reads the user's file from
#     $HOME/.config, not $XDG_CONFIG_HOME, and the user's home is left alone
# The rootless pause process podman leaves behind is killed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
user=${NOOK_TEST_USER:-nooktest}
pull_runs=${PULL_RUNS:-5}
warm_runs=${WARM_RUNS:-10}
run_runs=${RUN_RUNS:-30}
run_warmup=${RUN_WARMUP:-5}
life_runs=${LIFE_RUNS:-50}
life_rounds=${LIFE_ROUNDS:-5}
only=${BENCH_ONLY:-pull}
[[ $only == pull || $only == life ]] || die "BENCH_ONLY=$only: pull or life"

die() { echo "bench/pull.sh: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (the measured commands run as $user)"
id -u "$user" >/dev/null 2>&1 || die "no user $user: run .ci/setup"
grep -q "^$user:" /etc/subuid || die "$user has no subordinate ids (podman needs them): run .ci/setup"
for tool in hyperfine jq runuser curl ss file podman runc docker-registry busybox; do
	command -v "$tool" >/dev/null || die "$tool missing: apt-get install podman runc docker-registry (and run .ci/setup)"
done
file -L "$(command -v busybox)" | grep -q 'statically linked' || die "busybox is not static: apt-get install busybox-static"

# NOOK=PATH: that binary instead of bin/nook (built here when stale).
if [[ -n ${NOOK:-} ]]; then
	[[ -x $NOOK ]] || die "NOOK=$NOOK is not an executable"
elif [[ ! -x bin/nook ]] || [[ -n $(find . -name '*.go' -newer bin/nook -print -quit) ]] || [[ go.mod -nt bin/nook ]]; then
	echo "building bin/nook"
	just build
fi

# Everything the user touches lives in a directory it can reach: the
# checkout itself may be under a home the user cannot enter.
work=$(mktemp -d /var/tmp/nook-bench-pull-XXXXXX)
# Both stores (podman's graphroot, nook's $XDG_DATA_HOME) live on a tmpfs by
# default. This host's / is ext4 without a journal, where the allocator
# skips inodes freed in the last minute by reading each one's dtime
# (find_inode_bit -> recently_deleted): deleting the image before every run
# made ~half of each cold pull that scan (perf), for podman and nook alike,
# and the numbers bimodal. STORE_DIR=/var/tmp measures the disk anyway.
store=
podman_shm_lock=/dev/shm/libpod_rootless_lock_$(id -u "$user")
[[ -e $podman_shm_lock ]] && podman_shm_lock=
regpid=
cleanup() {
	local rc=$? pid
	if [[ -n $regpid ]]; then
		kill "$regpid" 2>/dev/null || true
		wait "$regpid" 2>/dev/null || true
	fi
	# podman's rootless pause process holds its user namespace (and the
	# overlay mounts in it) open; it is ours, named by its pid file.
	if [[ -s $work/run/libpod/tmp/pause.pid ]]; then
		pid=$(<"$work/run/libpod/tmp/pause.pid")
		kill "$pid" 2>/dev/null || true
	fi
	rm -rf "$work" ${store:+"$store"}
	[[ -z $podman_shm_lock ]] || rm -f "$podman_shm_lock"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 0755 "$work"
install -m 0755 "${NOOK:-bin/nook}" "$work/nook"
CGO_ENABLED=0 go build -trimpath -o "$work/mkimage" ./bench/mkimage
store=$(mktemp -d "${STORE_DIR:-/dev/shm}/nook-bench-pull-XXXXXX") || die "cannot make a store directory under ${STORE_DIR:-/dev/shm}"
chmod 0755 "$store"
install -d -m 0700 -o "$user" "$store/data"
install -d -m 0700 -o "$user" "$work/run" "$work/tmp" "$work/config" "$work/config/containers" "$work/out"
install -d -m 0700 "$work/registry"

# The registry on a free port: a port taken between the check and the bind
# makes the registry exit, and another port is tried.
start_registry() {
	local try port
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 20000))
		[[ -z $(ss -Hltn "sport = :$port") ]] || continue
		cat >"$work/registry/config.yml" <<-EOF
			version: 0.1
			log:
			  level: error
			  accesslog:
			    disabled: true
			storage:
			  filesystem:
			    rootdirectory: $work/registry/data
			  delete:
			    enabled: true
			http:
			  addr: 127.0.0.1:$port
		EOF
		docker-registry serve "$work/registry/config.yml" >"$work/registry.log" 2>&1 &
		regpid=$!
		for _ in $(seq 100); do
			if ! kill -0 "$regpid" 2>/dev/null; then
				wait "$regpid" 2>/dev/null || true
				regpid=
				break
			fi
			if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; then
				registry=127.0.0.1:$port
				return 0
			fi
			sleep 0.1
		done
		if [[ -n $regpid ]]; then
			die "docker-registry on 127.0.0.1:$port did not answer in 10 s: $(head -n 3 "$work/registry.log")"
		fi
	done
	die "docker-registry did not start: $(head -n 3 "$work/registry.log")"
}
start_registry
image=$registry/bench/pull:latest
echo "registry at $registry; building and pushing $image"
"$work/mkimage" "$image" | tee "$work/mkimage.out"

# podman's configuration, the user's own for this run only.
cat >"$work/config/containers/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
cat >"$work/config/containers/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$store/data/containers/storage"
runroot = "$work/run/containers"
EOF
cat >"$work/config/containers/registries.conf" <<EOF
unqualified-search-registries = []

[[registry]]
location = "$registry"
insecure = true
EOF
chown -R "$user:" "$work/config"

home=$(getent passwd "$user" | cut -d: -f6)
as_user() {
	(
		cd "$work"
		runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C \
			PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$work/run" \
			XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$store/data" TMPDIR="$work/tmp" \
			CONTAINERS_REGISTRIES_CONF="$work/config/containers/registries.conf" \
			"$@"
	)
}

# Each tool must work before it is timed: hyperfine would time an error.
check() { # WHAT COMMAND...: runs COMMAND as the user, its output shown if it fails
	local what=$1 out
	shift
	out=$(as_user "$@" 2>&1) || die "$what failed as $user: $(tail -n 5 <<<"$out")"
}
echo "checking podman"
check "podman info" podman info
as_user podman info --format '  podman {{.Version.Version}}: runtime {{.Host.OCIRuntime.Name}}, cgroups {{.Host.CgroupsVersion}} via {{.Host.CgroupManager}}, storage {{.Store.GraphDriverName}} (native overlay diff {{index .Store.GraphStatus "Native Overlay Diff"}}), events to {{.Host.EventLogger}}' 2>/dev/null
check "podman pull $image" podman pull -q "$image"
check "podman run $image true" podman run --rm --network=none "$image" true
check "podman rmi -f $image" podman rmi -f "$image"

nook=$work/nook
have_nook=1
if ! as_user "$nook" pull --help >/dev/null 2>&1; then
	have_nook=
	echo "checking nook: this nook has no 'pull' yet: the nook half is skipped (and the run fails at the end)" >&2
else
	echo "checking nook"
	check "nook pull $image" "$nook" pull "$image"
	check "nook run $image true" "$nook" run --rm --network none "$image" true
	check "nook rmi -f $image" "$nook" rmi -f "$image"
	check "nook image prune -a" "$nook" image prune -a
fi
# A store that keeps the layers would make the cold pulls warm.
cold_store() { # WHAT DIR
	local mb
	mb=$(du -sm "$2" | cut -f1)
	[[ $mb -lt 8 ]] || die "$1 still holds $mb MB in $2 after removing the image: a cold pull would not be cold"
}
cold_store podman "$store/data/containers"
[[ -z $have_nook ]] || cold_store nook "$store/data/nook"

# The cold pulls' --prepare: the image and every layer out of the store.
# Scripts, so that no command needs hyperfine's shell (-N).
cat >"$work/rm-podman" <<EOF
#!/bin/sh
podman rmi -f $image >/dev/null 2>&1 || true
sync
EOF
cat >"$work/rm-nook" <<EOF
#!/bin/sh
$nook rmi -f $image >/dev/null 2>&1 || true
$nook image prune -a >/dev/null
sync
EOF
chmod 0755 "$work/rm-podman" "$work/rm-nook"

# hyperfine runs as the user; with several commands each --prepare belongs
# to the command at its position.
bench() { # NAME: hyperfine args follow; exports $work/out/NAME.json
	local name=$1
	shift
	as_user hyperfine -N --style basic --export-json "$work/out/$name.json" "$@"
}

if [[ $only == life ]]; then
	source bench/life.sh
	exit 0
fi

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "== cold pull ($pull_runs runs each: the image removed before every run)"
args=(-n "podman pull" --prepare "$work/rm-podman" "podman pull -q $image")
if [[ -n $have_nook ]]; then
	args+=(-n "nook pull" --prepare "$work/rm-nook" "$nook pull -q $image")
fi
bench cold --runs "$pull_runs" "${args[@]}"

echo
echo "== warm pull ($warm_runs runs each: the image present)"
check "podman pull $image" podman pull -q "$image"
args=(-n "podman pull" "podman pull -q $image")
if [[ -n $have_nook ]]; then
	check "nook pull $image" "$nook" pull "$image"
	args+=(-n "nook pull" "$nook pull -q $image")
fi
bench warm --warmup 1 --runs "$warm_runs" "${args[@]}"

echo
echo "== run --rm --network none IMAGE true ($run_runs runs each, $run_warmup warm-up)"
args=(-n "podman run" "podman run --rm --network=none $image true")
if [[ -n $have_nook ]]; then
	args+=(-n "nook run" "$nook run --rm --network none $image true")
fi
bench run --warmup "$run_warmup" --runs "$run_runs" "${args[@]}"

# The report: medians (ms) and podman/nook for each benchmark.
jq -s --arg image "$image" --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" --arg kernel "$(uname -r)" '{
	date: $date, kernel: $kernel, image: $image,
	benchmarks: [
		{name: "cold pull", r: .[0]}, {name: "warm pull", r: .[1]}, {name: "run --rm true", r: .[2]}
	] | map({
		name,
		runs: (.r.results[0].times | length),
		podman_ms: (.r.results[] | select(.command | startswith("podman")) | .median * 1000),
		nook_ms: ([.r.results[] | select(.command | startswith("nook")) | .median * 1000] | first)
	} | .ratio = (if .nook_ms then .podman_ms / .nook_ms else null end))
}' "$work/out/cold.json" "$work/out/warm.json" "$work/out/run.json" >"$work/out/pull.json"
{
	echo "# nook vs rootless podman: pull and run"
	echo
	echo "$(jq -r .date "$work/out/pull.json"), kernel $(uname -r), $(nproc) CPUs. Medians from hyperfine"
	echo "(bin/bench/pull-{cold,warm,run}.json); $image served by docker-registry on"
	echo "127.0.0.1 over plain HTTP; both tools run as the unprivileged $user. Load average"
	echo "before / after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg) (anything else running skews the pulls most)."
	echo
	jq -r '
		def ms: if . == null then "n/a" else (. * 10 | round / 10 | tostring) end;
		"| benchmark | runs | podman (ms) | nook (ms) | podman/nook |",
		"|---|---:|---:|---:|---:|",
		(.benchmarks[] | "| \(.name) | \(.runs) | \(.podman_ms | ms) | \(.nook_ms | ms) | \(if .ratio then (.ratio * 10 | round / 10 | tostring) + "×" else "n/a" end) |")
	' "$work/out/pull.json"
	echo
	echo "podman $(podman --version | awk '{print $3}') with runc, cgroupfs, native overlay, events to a file (see bench/pull.sh)."
	echo "Stores on $(stat -f -c %T "$store") ($(dirname "$store")). cold pull: the image removed from the store before"
	echo "every run; warm pull: image present."
	echo "The image (bench/mkimage):"
	echo
	sed 's/^ */    /' "$work/mkimage.out"
} >"$work/out/pull.md"
mkdir -p bin/bench
cp "$work/out/pull.json" "$work/out/pull.md" bin/bench/
for name in cold warm run; do cp "$work/out/$name.json" "bin/bench/pull-$name.json"; done
echo
cat bin/bench/pull.md
[[ -n $have_nook ]] || die "this nook has no 'pull' command yet: only podman was measured (nook is n/a in bin/bench/pull.md)"
