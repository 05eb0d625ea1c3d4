#!/usr/bin/env bash
# Network throughput, side by side in one run: Debian's iperf3 between a
# container and the host with nook's user-mode network (--network slirp),
# slirp4netns (Debian's, --mtu=65520) and pasta (Debian's passt), and the
# host's loopback as the ceiling. Every path is measured REPS times for
# DURATION seconds (iperf3 -t), the tools interleaved within each round so
# that a change in the machine's load hits all of them; the table has the
# medians. The paths:
#
#   loopback  client and server on the host's 127.0.0.1
#   relay     the same through bench/relay, a splice relay on the host: the
#             ceiling of any forwarder that relays (nook's -p does)
#   c2h       container -> host: the client in the container, the server
#             on the host's 127.0.0.1, reached through the gateway (nook:
#             slirp:allow_host_loopback=true, 10.0.2.2; slirp4netns:
#             10.0.2.2, its host loopback left enabled; pasta: the host's
#             default gateway address, which pasta maps to the host)
#   c2h -R    host -> container over that connection (iperf3 -R)
#   pub       host -> container through a published port: the server in
#             the container, the client on the host to 127.0.0.1:PORT (nook:
#             run -p; slirp4netns: add_hostfwd on its API socket; pasta: -t)
#   pub -R    container -> host over that connection
#
# During every transfer the host-side process's VmRSS (and VmHWM, its peak
# so far) is read from /proc at the half-way point: nook's CLI process (a
# new `nook sandbox` for each c2h run; the one `nook run` holding -p for
# pub), slirp4netns, pasta (both one process for the whole benchmark).
#
# The nook container for pub is `nook run --rootfs` on a directory holding
# Debian's iperf3 and the libraries ldd names (sandbox has no -p); the c2h
# client is `nook sandbox --network slirp:...`, which sees the host's /.
# slirp4netns is the classic setup: `unshare -rn sleep`, then slirp4netns
# --configure on its pid, the client and server in it through nsenter.
# The measured commands run as the unprivileged test user, as users run
# them. Run as root (after .ci/setup, plus: apt-get install -y slirp4netns
# passt iperf3).
#
#   bench/net.sh                       results in bin/bench/net.{md,json}, every run in net-runs.jsonl
#   REPS=1 DURATION=2 bench/net.sh     a quick look
#   NOOK=/path/to/nook bench/net.sh    another nook binary
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
user=${NOOK_TEST_USER:-nooktest}
duration=${DURATION:-5}
reps=${REPS:-3}

die() { echo "bench/net.sh: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (the measured commands run as $user)"
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "DURATION=$duration: a whole number of seconds"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "REPS=$reps: a positive number"
id -u "$user" >/dev/null 2>&1 || die "no user $user: run .ci/setup"
grep -q "^$user:" /etc/subuid || die "$user has no subordinate ids: run .ci/setup"
for tool in iperf3 slirp4netns pasta; do
	command -v "$tool" >/dev/null || die "$tool missing: apt-get install -y slirp4netns passt iperf3"
done
for tool in jq runuser ss nsenter unshare ldd ip pgrep awk; do
	command -v "$tool" >/dev/null || die "$tool missing: run .ci/setup"
done
[[ -c /dev/net/tun ]] || die "no /dev/net/tun: nook's and slirp4netns' TAP needs it (modprobe tun)"
# pasta copies the host's addresses and routes into the namespace and maps
# the default gateway's address to the host: without a default route it has
# nothing to copy.
pasta_gw=$(ip -4 route show default | awk '$1 == "default" && $2 == "via" { print $3; exit }')
[[ -n $pasta_gw ]] || die "the host has no IPv4 default route: pasta needs one (it maps the gateway's address to the host)"

# NOOK=PATH: that binary instead of bin/nook (built here when stale).
if [[ -n ${NOOK:-} ]]; then
	[[ -x $NOOK ]] || die "NOOK=$NOOK is not an executable"
elif [[ ! -x bin/nook ]] || [[ -n $(find . -name '*.go' -newer bin/nook -print -quit) ]] || [[ go.mod -nt bin/nook ]]; then
	echo "building bin/nook"
	just build
fi

# Everything the user touches lives in a directory it can reach: the
# checkout itself may be under a home the user cannot enter. $work/u is the
# user's own (pid files, slirp4netns' API socket, iperf3's output).
work=$(mktemp -d /var/tmp/nook-bench-net-XXXXXX)
uid=$(id -u "$user")
spawned=() # names of the processes started in the background ($work/u/NAME.pid)

# Stops what was started, children first: pasta leaves the command it runs
# in its namespace behind when it is killed itself; killing the command
# makes pasta exit.
cleanup() {
	local rc=$? name pid child pids=()
	trap - INT TERM
	for ((i = ${#spawned[@]} - 1; i >= 0; i--)); do
		name=${spawned[i]}
		[[ -s $work/u/$name.pid ]] || continue
		pid=$(<"$work/u/$name.pid")
		# Only the user's: a process that ended early may have left its pid to another.
		[[ -d /proc/$pid && $(stat -c %u "/proc/$pid" 2>/dev/null) == "$uid" ]] || continue
		for child in $(pgrep -P "$pid" || true); do
			kill "$child" 2>/dev/null && pids+=("$child")
		done
		kill "$pid" 2>/dev/null && pids+=("$pid")
	done
	for _ in $(seq 30); do
		for i in "${!pids[@]}"; do
			[[ -d /proc/${pids[i]} ]] || unset 'pids[i]'
		done
		[[ ${#pids[@]} -gt 0 ]] || break
		sleep 0.1
	done
	[[ ${#pids[@]} -eq 0 ]] || kill -KILL "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 0755 "$work"
install -d -m 0700 -o "$user" "$work/u" "$work/run" "$work/data"
install -d "$work/log" "$work/out"
install -m 0755 "${NOOK:-bin/nook}" "$work/nook"
nook=$work/nook
CGO_ENABLED=0 go build -trimpath -o "$work/slirpapi" ./bench/slirpapi
CGO_ENABLED=0 go build -trimpath -o "$work/relay" ./bench/relay

# The rootfs for `nook run`: Debian's iperf3 is dynamically linked, so the
# binary and every library ldd names, at the same paths.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{proc,dev,sys,etc,tmp,usr/bin}
chmod 1777 "$rootfs/tmp"
cp -L "$(command -v iperf3)" "$rootfs/usr/bin/iperf3"
while read -r lib; do
	mkdir -p "$rootfs$(dirname "$lib")"
	cp -L "$lib" "$rootfs$lib"
done < <(ldd "$(command -v iperf3)" | grep -o '/[^ ]*')
chown -R "$user:" "$rootfs"

home=$(getent passwd "$user" | cut -d: -f6)
as_user() {
	runuser -u "$user" -- env -i -C "$work" HOME="$home" USER="$user" LOGNAME="$user" LANG=C \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR="$work/run" \
		XDG_DATA_HOME="$work/data" TMPDIR=/tmp "$@"
}

# spawn NAME COMMAND...: COMMAND in the background as the user, its output
# in $work/log/NAME.log and its pid (the command's own, through an exec) in
# $work/u/NAME.pid, returned in $pid.
spawn() {
	local name=$1
	shift
	spawned+=("$name")
	# shellcheck disable=SC2016 # for the user's sh
	as_user sh -c 'echo $$ >"$0"; exec "$@"' "$work/u/$name.pid" "$@" >"$work/log/$name.log" 2>&1 &
	for _ in $(seq 50); do
		if [[ -s $work/u/$name.pid ]]; then
			pid=$(<"$work/u/$name.pid")
			return 0
		fi
		sleep 0.1
	done
	fail "$name did not start"
}

# wait_for WHAT PID COMMAND...: polls COMMAND for 10 s, while PID lives.
wait_for() {
	local what=$1 pid=$2
	shift 2
	for _ in $(seq 100); do
		[[ -d /proc/$pid ]] || fail "$what: the process exited first"
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$what: not ready after 10 s"
}
# listening PID PORT: something listens on TCP PORT in PID's network
# namespace; host_listening PORT: in this one.
listening() { [[ -n $(nsenter -t "$1" -n ss -Hltn "sport = :$2") ]]; }
host_listening() { [[ -n $(ss -Hltn "sport = :$1") ]]; }
# ns_child WHAT PARENT: PARENT's child in another network namespace (nook's
# container process, pasta's command), in $pid.
ns_child() {
	local what=$1 parent=$2 c
	for _ in $(seq 50); do
		[[ -d /proc/$parent ]] || fail "$what exited"
		for c in $(pgrep -P "$parent" || true); do
			if [[ $(readlink "/proc/$c/ns/net" 2>/dev/null) != "$(readlink "/proc/$parent/ns/net")" ]]; then
				pid=$c
				return 0
			fi
		done
		sleep 0.1
	done
	fail "$what: no child in a network namespace of its own after 5 s"
}
# ns_mtu PID: the MTU of the interface of the default route in PID's
# network namespace (ip(8), not /sys: sysfs shows the namespace it was
# mounted in).
ns_mtu() {
	local dev mtu
	dev=$(nsenter -t "$1" -n ip -o route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
	mtu=$(nsenter -t "$1" -n ip -o link show dev "$dev" | awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") { print $(i + 1); exit } }')
	[[ $mtu =~ ^[0-9]+$ ]] || die "no default route's MTU in the namespace of process $1"
	echo "$mtu"
}
# fail MESSAGE: die with the tail of every log so far.
fail() {
	local f
	{
		echo "bench/net.sh: $*"
		for f in "$work"/log/*.log; do
			[[ -s $f ]] || continue
			echo "--- $(basename "$f" .log):"
			grep -v 'Failed to send .* to syslog' "$f" | tail -n 5 || true
		done
	} >&2
	exit 1
}

ports=()
free_port() { # in $port: free on the host and not handed out yet
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 20000))
		[[ " ${ports[*]} " != *" $port "* ]] || continue
		[[ -z $(ss -Hltn "sport = :$port") ]] || continue
		ports+=("$port")
		return 0
	done
	die "no free TCP port found"
}

echo "setting up: iperf3 on the host, nook run -p, slirp4netns, pasta"
free_port
host_port=$port
spawn host-server iperf3 -s -B 127.0.0.1 -p "$host_port"
wait_for "iperf3 -s on 127.0.0.1:$host_port" "$pid" host_listening "$host_port"
# The ceiling of a relaying forwarder: a splice relay to that server.
free_port
relay_port=$port
spawn relay "$work/relay" "127.0.0.1:$relay_port" "127.0.0.1:$host_port"
wait_for "relay on 127.0.0.1:$relay_port" "$pid" host_listening "$relay_port"

# nook: the published port's server; the c2h clients are sandboxes.
free_port
nook_port=$port
spawn nook-run "$nook" run --rm --rootfs "$rootfs" -p "127.0.0.1:$nook_port:5201" -- /usr/bin/iperf3 -s -p 5201
nook_run_pid=$pid
ns_child "nook run" "$nook_run_pid"
wait_for "iperf3 -s in nook run" "$nook_run_pid" listening "$pid" 5201
wait_for "nook run's -p 127.0.0.1:$nook_port" "$nook_run_pid" host_listening "$nook_port"
nook_mtu=$(ns_mtu "$pid")

# slirp4netns: a namespace held by sleep, slirp4netns on it, the server in it.
spawn slirp-ns unshare -rn sleep infinity
slirp_ns=$pid
wait_for "unshare -rn sleep" "$slirp_ns" grep -qx sleep "/proc/$slirp_ns/comm"
spawn slirp4netns slirp4netns --configure --mtu=65520 --api-socket "$work/u/slirp.sock" "$slirp_ns" tap0
slirp_pid=$pid
wait_for "slirp4netns' tap0" "$slirp_pid" bash -c "nsenter -t $slirp_ns -n ip -o -4 addr show dev tap0 | grep -q 10.0.2.100 && [[ -S $work/u/slirp.sock ]]"
slirp_mtu=$(ns_mtu "$slirp_ns")
free_port
slirp_port=$port
as_user "$work/slirpapi" "$work/u/slirp.sock" \
	'{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '"$slirp_port"', "guest_port": 5201}}' \
	>/dev/null || die "slirp4netns' add_hostfwd 127.0.0.1:$slirp_port -> 5201 failed"
spawn slirp-server nsenter -t "$slirp_ns" -U -n --preserve-credentials iperf3 -s -p 5201
wait_for "iperf3 -s in slirp4netns' namespace" "$pid" listening "$slirp_ns" 5201

# pasta: its command is the server; -T/-U none: no port of the host mapped
# to the namespace's loopback, so c2h goes through the TAP as with the others.
free_port
pasta_port=$port
spawn pasta pasta -q -f --config-net -T none -U none -u none -t "127.0.0.1/$pasta_port:5201" -- iperf3 -s -p 5201
pasta_pid=$pid
ns_child pasta "$pasta_pid"
pasta_ns=$pid
wait_for "iperf3 -s under pasta" "$pasta_pid" listening "$pasta_ns" 5201
wait_for "pasta's -t 127.0.0.1/$pasta_port" "$pasta_pid" host_listening "$pasta_port"
pasta_mtu=$(ns_mtu "$pasta_ns")
echo "  MTU: nook $nook_mtu, slirp4netns $slirp_mtu, pasta $pasta_mtu; pasta maps $pasta_gw to the host"

half=$(awk -v d="$duration" 'BEGIN { print d / 2 }')
results=$work/out/results.jsonl
: >"$results"

# measure PATH TOOL RSSPID COMMAND...: one iperf3 client run as the user,
# its receiver's rate recorded with the VmRSS/VmHWM of RSSPID half-way
# through (RSSPID "self": the process COMMAND starts; "-": none).
measure() {
	local path=$1 tool=$2 rsspid=$3 name out w rss=null hwm=null gbps retr err status
	shift 3
	name=client-$rep-${tool}-${path// /}
	out=$work/out/$name.json
	spawned+=("$name")
	# shellcheck disable=SC2016 # for the user's sh
	as_user sh -c 'echo $$ >"$0"; exec "$@"' "$work/u/$name.pid" "$@" >"$out" 2>"$work/log/$name.log" &
	w=$!
	sleep "$half"
	[[ $rsspid != self ]] || rsspid=$(cat "$work/u/$name.pid" 2>/dev/null || echo -)
	if [[ $rsspid != - ]] && status=$(cat "/proc/$rsspid/status" 2>/dev/null); then
		rss=$(awk '/^VmRSS:/ { print $2 }' <<<"$status")
		hwm=$(awk '/^VmHWM:/ { print $2 }' <<<"$status")
		[[ $rss =~ ^[0-9]+$ && $hwm =~ ^[0-9]+$ ]] || rss=null hwm=null
	fi
	if ! wait "$w"; then
		err=$(jq -r '.error // empty' "$out" 2>/dev/null || true)
		fail "$tool $path (round $rep) failed: ${err:-see below}"
	fi
	rm -f "$work/u/$name.pid" # done: its pid may be reused
	gbps=$(jq -e '.end.sum_received.bits_per_second / 1e9' "$out") || die "$tool $path: no result in iperf3's output ($out)"
	retr=$(jq '.end.sum_sent.retransmits // null' "$out")
	jq -nc --arg path "$path" --arg tool "$tool" --argjson rep "$rep" --argjson gbps "$gbps" \
		--argjson retr "$retr" --argjson rss "$rss" --argjson hwm "$hwm" \
		'{path: $path, tool: $tool, rep: $rep, gbps: $gbps, retransmits: $retr, rss_kb: $rss, hwm_kb: $hwm}' >>"$results"
	printf '  %-8s %-12s %6.2f Gbit/s%s\n' "$path" "$tool" "$gbps" \
		"$([[ $rss == null ]] || printf '   RSS %d MiB, peak %d MiB' $((rss / 1024)) $((hwm / 1024)))"
}

sandbox=("$nook" sandbox --network slirp:allow_host_loopback=true --)
in_slirp=(nsenter -t "$slirp_ns" -U -n --preserve-credentials)
in_pasta=(nsenter -t "$pasta_ns" -U -n --preserve-credentials)
client=(iperf3 -J -t "$duration")

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$reps"); do
	echo "round $rep of $reps (iperf3 -t $duration)"
	measure loopback host - "${client[@]}" -c 127.0.0.1 -p "$host_port"
	measure relay host - "${client[@]}" -c 127.0.0.1 -p "$relay_port"
	for R in "" "-R"; do
		path="c2h${R:+ $R}"
		measure "$path" nook self "${sandbox[@]}" "${client[@]}" $R -c 10.0.2.2 -p "$host_port"
		measure "$path" slirp4netns "$slirp_pid" "${in_slirp[@]}" "${client[@]}" $R -c 10.0.2.2 -p "$host_port"
		measure "$path" pasta "$pasta_pid" "${in_pasta[@]}" "${client[@]}" $R -c "$pasta_gw" -p "$host_port"
	done
	for R in "" "-R"; do
		path="pub${R:+ $R}"
		measure "$path" nook "$nook_run_pid" "${client[@]}" $R -c 127.0.0.1 -p "$nook_port"
		measure "$path" slirp4netns "$slirp_pid" "${client[@]}" $R -c 127.0.0.1 -p "$slirp_port"
		measure "$path" pasta "$pasta_pid" "${client[@]}" $R -c 127.0.0.1 -p "$pasta_port"
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# The report: medians, ratios to loopback and nook's to the others.
jq -s --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" --arg kernel "$(uname -r)" --argjson cpus "$(nproc)" \
	--arg load0 "$load0" --arg load1 "$load1" --argjson duration "$duration" --argjson reps "$reps" \
	--arg iperf3 "$(iperf3 --version | head -n 1)" \
	--arg slirp4netns "$(slirp4netns --version | head -n 1), $(slirp4netns --version | grep -i '^libslirp' || true)" \
	--arg passt "$(dpkg-query -W -f '${Version}' passt 2>/dev/null || echo unknown)" \
	--argjson mtu "{\"nook\": $nook_mtu, \"slirp4netns\": $slirp_mtu, \"pasta\": $pasta_mtu}" '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	(group_by([.path, .tool]) | map({
		path: .[0].path, tool: .[0].tool,
		gbps: (map(.gbps) | median), min: (map(.gbps) | min), max: (map(.gbps) | max),
		runs: map(.gbps), retransmits: map(.retransmits),
		rss_kb: (map(.rss_kb) | if all(. != null) then median else null end),
		hwm_kb: (map(.hwm_kb) | if all(. != null) then max else null end)
	})) as $r
	| ($r[] | select(.path == "loopback") | .gbps) as $lo
	| ($r[] | select(.path == "relay") | .gbps) as $relay
	| {date: $date, kernel: $kernel, cpus: $cpus, load_before: $load0, load_after: $load1,
	   duration_s: $duration, reps: $reps, versions: {iperf3: $iperf3, slirp4netns: $slirp4netns, passt: $passt},
	   mtu: $mtu, loopback_gbps: $lo, relay_gbps: $relay,
	   results: ($r | map(. as $x | .of_loopback = (.gbps / $lo)
		| .nook_over_this = (if .tool == "nook" or .tool == "host" then null
			else (($r[] | select(.path == $x.path and .tool == "nook") | .gbps) / .gbps) end)))}
	| .goals = {
		c2h_above_slirp4netns: ((.results[] | select(.path == "c2h" and .tool == "nook") | .gbps)
			> (.results[] | select(.path == "c2h" and .tool == "slirp4netns") | .gbps)),
		pub_at_least_70pct_of_loopback: ((.results[] | select(.path == "pub" and .tool == "nook") | .of_loopback) >= 0.7)
	}' "$results" >"$work/out/net.json"

{
	echo "# nook vs slirp4netns and pasta: iperf3 throughput"
	echo
	jq -r '"\(.date), kernel \(.kernel), \(.cpus) CPUs; load average before / after: \(.load_before) / \(.load_after)."' "$work/out/net.json"
	jq -r '"Median of \(.reps) iperf3 runs of \(.duration_s) s each (the range in brackets), all as the unprivileged test user, the tools interleaved in every round."' "$work/out/net.json"
	jq -r '"\(.versions.iperf3); \(.versions.slirp4netns); passt/pasta \(.versions.passt). MTU: nook \(.mtu.nook), slirp4netns \(.mtu.slirp4netns), pasta \(.mtu.pasta)."' "$work/out/net.json"
	echo
	jq -r '
		def f2: (. * 100 | round) as $c | "\($c / 100 | floor).\($c % 100 | tostring | if length < 2 then "0" + . else . end)";
		def f1: (. * 10 | round) as $c | "\($c / 10 | floor).\($c % 10)";
		def pct: "\(. * 100 | round) %";
		def at($p; $t): first(.results[] | select(.path == $p and .tool == $t));
		. as $d
		| "host loopback: **\(.loopback_gbps | f2) Gbit/s** (\(at("loopback"; "host") | "\(.min | f2)–\(.max | f2)")), the ceiling.",
		"host-only splice relay (client → bench/relay → server, all on 127.0.0.1): **\(.relay_gbps | f2) Gbit/s** = \(.relay_gbps / .loopback_gbps | pct) of loopback, the ceiling of any relaying port forwarder on this machine.",
		"",
		"| path | nook Gbit/s | slirp4netns Gbit/s | pasta Gbit/s | nook / loopback | slirp4netns / loopback | pasta / loopback | nook / slirp4netns | nook / pasta |",
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|",
		(["c2h", "c2h -R", "pub", "pub -R"][] as $p
		 | [at($p; "nook"), at($p; "slirp4netns"), at($p; "pasta")] as [$n, $s, $a]
		 | "| \($p) | **\($n.gbps | f2)** (\($n.min | f2)–\($n.max | f2)) | \($s.gbps | f2) (\($s.min | f2)–\($s.max | f2)) | \($a.gbps | f2) (\($a.min | f2)–\($a.max | f2)) | \($n.of_loopback | pct) | \($s.of_loopback | pct) | \($a.of_loopback | pct) | \($s.nook_over_this | f2)× | \($a.nook_over_this | f2)× |"),
		"",
		"Host-side process memory half-way through each transfer, MiB: VmRSS (median) / VmHWM (the largest peak so far).",
		"nook is a new `nook sandbox` process for each c2h run and the one `nook run` holding -p for pub;",
		"slirp4netns and pasta are one process each for the whole benchmark.",
		"",
		"| path | nook | slirp4netns | pasta |",
		"|---|---:|---:|---:|",
		(["c2h", "c2h -R", "pub", "pub -R"][] as $p
		 | [at($p; "nook"), at($p; "slirp4netns"), at($p; "pasta")]
		 | map(if .rss_kb == null then "n/a" else "\(.rss_kb / 1024 | f1) / \(.hwm_kb / 1024 | f1)" end)
		 | "| \($p) | \(.[0]) | \(.[1]) | \(.[2]) |"),
		"",
		"Goals (issue 4):",
		"- container→host above slirp4netns: nook \(at("c2h"; "nook").gbps | f2) vs \(at("c2h"; "slirp4netns").gbps | f2) Gbit/s (\(at("c2h"; "slirp4netns").nook_over_this | f2)×): **\(if .goals.c2h_above_slirp4netns then "met" else "not met" end)**",
		"- published port ≥ 70 % of host loopback: nook \(at("pub"; "nook").gbps | f2) Gbit/s = \(at("pub"; "nook").of_loopback | pct) of loopback: **\(if .goals.pub_at_least_70pct_of_loopback then "met" else "not met" end)** (\(at("pub"; "nook").gbps / .relay_gbps | pct) of the relay ceiling)"
	' "$work/out/net.json"
	echo
	echo "Paths: c2h: the client in the container, the server on the host's 127.0.0.1 through the"
	echo "gateway (nook: slirp:allow_host_loopback=true and 10.0.2.2; slirp4netns: 10.0.2.2; pasta: the host's"
	echo "gateway $pasta_gw, which pasta maps to the host). -R: the same connection, the data the other way."
	echo "pub: the server in the container, the client on the host to 127.0.0.1:PORT (nook run -p,"
	echo "slirp4netns add_hostfwd, pasta -t; pasta relays a loopback connection with splice(2) between"
	echo "two kernel sockets, without its TAP)."
} >"$work/out/net.md"
mkdir -p bin/bench
cp "$work/out/net.json" "$work/out/net.md" bin/bench/
jq -c . "$results" >bin/bench/net-runs.jsonl
echo
cat bin/bench/net.md
