# Sourced by bench/pull.sh with BENCH_ONLY=life (just bench-life), after its
# registry, image and podman set-up: nook's lifecycle against rootless
# podman's, side by side in one run, as the unprivileged user, each tool
# with its default network (nook: its user-mode stack; podman 4.3:
# slirp4netns):
#
#   run -d     run -d --name lifebench IMAGE sleep 1000 (the previous one
#              removed before each run)
#   exec       exec lifebench true, in a running container
#   rm -f      rm -f of a running container (podman: -t 0, as nook kills at once)
#
# and the memory a running, idle container costs outside itself: VmRSS of
# nook's supervisor and agent against podman's conmon and slirp4netns.
#
# The runs are interleaved: $life_rounds rounds of hyperfine, each timing
# both tools, so that both meet this shared machine's same slow and fast
# moments (its speed drifts by a third within minutes here, and one
# hyperfine call runs all of one tool's runs before the other's); the
# medians are over all rounds' runs.
# Sourced, not run: it uses pull.sh's functions and variables.

check "podman pull $image" podman pull -q "$image"
check "nook pull $image" "$nook" pull -q "$image"
for tool in podman nook; do
	bin=$tool
	[[ $tool == nook ]] && bin=$nook
	extra=
	[[ $tool == podman ]] && extra="-t 0"
	cat >"$work/rmc-$tool" <<-EOF
		#!/bin/sh
		$bin rm -f $extra lifebench >/dev/null 2>&1 || true
	EOF
	cat >"$work/mkc-$tool" <<-EOF
		#!/bin/sh
		$bin rm -f $extra lifebench >/dev/null 2>&1 || true
		$bin run -d --name lifebench $image sleep 1000 >/dev/null
	EOF
	chmod 0755 "$work/rmc-$tool" "$work/mkc-$tool"
	check "$tool run -d" "$work/mkc-$tool"
	check "$tool exec" $bin exec lifebench true
	check "$tool rm -f" "$work/rmc-$tool"
done

# rounds NAME ARGS...: bench NAME in $life_rounds interleaved rounds (the
# first with two warm-up runs), then NAME.json with every command's runs
# together and their median, as one hyperfine export would have them.
rounds() {
	local name=$1 i per=$(((life_runs + life_rounds - 1) / life_rounds))
	shift
	for ((i = 0; i < life_rounds; i++)); do
		bench "$name.$i" --runs "$per" $([[ $i == 0 ]] && echo --warmup 2) "$@" | grep -E '^(Benchmark|  Time)' || true
	done
	jq -s '{results: (map(.results) | transpose | map({command: .[0].command, times: (map(.times) | add)}
		| .median = (.times | sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end)))}' \
		"$work"/out/"$name".[0-9]*.json >"$work/out/$name.json"
	jq -r '.results[] | "  \(.command): median \(.median * 10000 | round / 10) ms over \(.times | length) runs"' "$work/out/$name.json"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "== run -d ($life_runs runs each, in $life_rounds rounds)"
rounds life-run \
	-n "podman run -d" --prepare "$work/rmc-podman" "podman run -d --name lifebench $image sleep 1000" \
	-n "nook run -d" --prepare "$work/rmc-nook" "$nook run -d --name lifebench $image sleep 1000"
echo
echo "== memory of an idle container's keepers (a fresh container, 2 s after its start)"
as_user "$work/mkc-podman"
as_user "$work/mkc-nook"
sleep 2
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
nook_pid1=$(as_user "$nook" inspect lifebench | jq -r '.[0].State.Pid')
nook_agent=$(awk '{print $4}' "/proc/$nook_pid1/stat")
nook_sup=$(awk '{print $4}' "/proc/$nook_agent/stat")
podman_conmon=$(pgrep -u "$user" -x conmon | head -n 1)
podman_slirp=$(pgrep -u "$user" -x slirp4netns | head -n 1)
mem_nook=$(($(rss_kb "$nook_sup") + $(rss_kb "$nook_agent")))
mem_podman=$(($(rss_kb "$podman_conmon") + ${podman_slirp:+$(rss_kb "$podman_slirp")}+0))
echo "  nook: supervisor $(rss_kb "$nook_sup") kB + agent $(rss_kb "$nook_agent") kB; podman: conmon $(rss_kb "$podman_conmon") kB + slirp4netns ${podman_slirp:+$(rss_kb "$podman_slirp")} kB"

echo
echo "== exec true ($life_runs runs each, in $life_rounds rounds)"
as_user "$work/mkc-podman"
as_user "$work/mkc-nook"
rounds life-exec \
	-n "podman exec" "podman exec lifebench true" -n "nook exec" "$nook exec lifebench true"

echo
echo "== rm -f ($life_runs runs each, in $life_rounds rounds)"
rounds life-rm \
	-n "podman rm -f" --prepare "$work/mkc-podman" "podman rm -f -t 0 lifebench" \
	-n "nook rm -f" --prepare "$work/mkc-nook" "$nook rm -f lifebench"

jq -s --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" --arg kernel "$(uname -r)" \
	--argjson nook_kb "$mem_nook" --argjson podman_kb "$mem_podman" '{
	date: $date, kernel: $kernel,
	benchmarks: [{name: "run -d", r: .[0]}, {name: "exec true", r: .[1]}, {name: "rm -f", r: .[2]}] | map({
		name,
		runs: (.r.results[0].times | length),
		podman_ms: (.r.results[] | select(.command | startswith("podman")) | .median * 1000),
		nook_ms: (.r.results[] | select(.command | startswith("podman") | not) | .median * 1000)
	} | .ratio = .podman_ms / .nook_ms),
	memory: {nook_supervisor_and_agent_kb: $nook_kb, podman_conmon_and_slirp4netns_kb: $podman_kb}
}' "$work/out/life-run.json" "$work/out/life-exec.json" "$work/out/life-rm.json" >"$work/out/life.json"
{
	echo "# nook vs rootless podman: the container lifecycle"
	echo
	echo "$(jq -r .date "$work/out/life.json"), kernel $(uname -r), $(nproc) CPUs, as the unprivileged $user;"
	echo "load average before / after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg). Medians from hyperfine, $life_rounds interleaved rounds."
	echo
	jq -r '
		def ms: (. * 10 | round / 10 | tostring);
		"| benchmark | runs | podman (ms) | nook (ms) | podman/nook |",
		"|---|---:|---:|---:|---:|",
		(.benchmarks[] | "| \(.name) | \(.runs) | \(.podman_ms | ms) | \(.nook_ms | ms) | \(.ratio * 10 | round / 10)× |"),
		"",
		"Idle container, outside it: nook supervisor + agent \(.memory.nook_supervisor_and_agent_kb / 1024 * 10 | round / 10) MiB; podman conmon + slirp4netns \(.memory.podman_conmon_and_slirp4netns_kb / 1024 * 10 | round / 10) MiB (VmRSS)."
	' "$work/out/life.json"
	echo
	echo "podman $(podman --version | awk '{print $3}') with runc, cgroupfs, native overlay, slirp4netns; nook with its own slirp (see bench/life.sh)."
} >"$work/out/life.md"
mkdir -p bin/bench
cp "$work/out/life.json" "$work/out/life.md" bin/bench/
as_user "$work/rmc-podman"
as_user "$work/rmc-nook"
echo
cat bin/bench/life.md
