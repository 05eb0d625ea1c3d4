#!/usr/bin/env bash
# Start-up cost, side by side in one hyperfine run: a container that runs
# /bin/true in the busybox test rootfs, and a sandbox of the host's own /,
# each with bubblewrap and with nook. The measured commands run as the
# unprivileged test user, as users run them. Run as root (after .ci/setup).
# nook run gets --network none: bwrap --unshare-all gives a network namespace
# with only lo, which is what that is (nook's default, slirp, is measured by
# just bench-net).
#
#   bench/start.sh            results also in bin/bench/start.json
#   RUNS=50 bench/start.sh    fewer runs
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
user=${NOOK_TEST_USER:-nooktest}
runs=${RUNS:-200}
warmup=${WARMUP:-20}

die() { echo "bench/start.sh: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (the measured commands run as $user)"
id -u "$user" >/dev/null 2>&1 || die "no user $user: run .ci/setup"
for tool in bwrap hyperfine jq runuser; do
	command -v "$tool" >/dev/null || die "$tool missing: run .ci/setup"
done

if [[ ! -x bin/nook ]] || [[ -n $(find . -name '*.go' -newer bin/nook -print -quit) ]] || [[ go.mod -nt bin/nook ]]; then
	echo "building bin/nook"
	just build
fi

# Everything the user runs lives in a directory it can reach: the checkout
# itself may be under a home the user cannot enter.
work=$(mktemp -d /var/tmp/nook-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
install -m 0755 bin/nook "$work/nook"
CGO_ENABLED=0 go build -trimpath -o "$work/probe" ./testdata/probe
go run ./bench/mkrootfs "$work/rootfs" "$work/probe"
chown -R "$user:" "$work/rootfs"
install -d -m 0700 -o "$user" "$work/run" "$work/out"

rootfs=$work/rootfs
home=$(getent passwd "$user" | cut -d: -f6)
(
	cd "$work"
	runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C \
		PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$work/run" \
		hyperfine --warmup "$warmup" --runs "$runs" -N --export-json "$work/out/start.json" \
		-n "bwrap rootfs" "bwrap --unshare-all --ro-bind $rootfs / --proc /proc --dev /dev /bin/true" \
		-n "nook run" "$work/nook run --network none --rootfs $rootfs -- /bin/true" \
		-n "bwrap host" "bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp /bin/true" \
		-n "nook sandbox" "$work/nook sandbox -- /bin/true"
)

mkdir -p bin/bench
cp "$work/out/start.json" bin/bench/start.json
echo
echo "median start-up, $runs runs (bin/bench/start.json):"
jq -r '
	(.results | map({(.command): (.median * 1000)}) | add) as $ms
	| ["bwrap rootfs", "nook run", "bwrap host", "nook sandbox"] as $order
	| $order[] as $c
	| if $c | startswith("nook") then
		($ms[if $c == "nook run" then "bwrap rootfs" else "bwrap host" end]) as $base
		| "  \($c | . + " " * (14 - length)) \($ms[$c] * 100 | round / 100) ms  (\($ms[$c] / $base * 100 | round / 100)x bwrap)"
	  else
		"  \($c | . + " " * (14 - length)) \($ms[$c] * 100 | round / 100) ms"
	  end
' "$work/out/start.json"

# The same container for a user without subordinate ids: one id mapped, as
# bubblewrap maps, so no setuid newuidmap/newgidmap on the start path. This
# separates what the 65537-id map costs from the rest of nook.
plain=${NOOK_TEST_USER2:-nooktest2}
if id -u "$plain" >/dev/null 2>&1; then
	cp -a "$rootfs" "$work/rootfs1"
	chown -R "$plain:" "$work/rootfs1"
	install -d -m 0700 -o "$plain" "$work/run1"
	chmod 0777 "$work/out"
	home1=$(getent passwd "$plain" | cut -d: -f6)
	(
		cd "$work"
		runuser -u "$plain" -- env -i HOME="$home1" USER="$plain" LOGNAME="$plain" LANG=C \
			PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$work/run1" \
			hyperfine --warmup "$warmup" --runs "$runs" -N --export-json "$work/out/start1.json" \
			-n "bwrap rootfs" "bwrap --unshare-all --ro-bind $work/rootfs1 / --proc /proc --dev /dev /bin/true" \
			-n "nook run, one id" "$work/nook run --network none --rootfs $work/rootfs1 -- /bin/true"
	)
	cp "$work/out/start1.json" bin/bench/start-one-id.json
	echo "median start-up, user $plain without subordinate ids (bin/bench/start-one-id.json):"
	jq -r '
		(.results | map({(.command): (.median * 1000)}) | add) as $ms
		| "  bwrap rootfs       \($ms["bwrap rootfs"] * 100 | round / 100) ms",
		  "  nook run, one id   \($ms["nook run, one id"] * 100 | round / 100) ms  (\($ms["nook run, one id"] / $ms["bwrap rootfs"] * 100 | round / 100)x bwrap)"
	' "$work/out/start1.json"
fi
