#!/usr/bin/env bash
# Memory with a big index: a local repository holding BENCH_CHUNKS
# (default 16 million) distinct chunk ids, as about 1 TB of distinct data
# would leave (index files written through the library by bench/mkrepo,
# no terabyte pushed), then a push of BENCH_MB (default 1024) MiB of new
# data into it and a pull of that snapshot: peak RSS (goal: under
# 128 MiB) and the time to load the index, with the metadata cache warm.
# restic has no way to make such a repository in minutes, so the goal is
# the yardstick here, not a second tool.
set -euo pipefail
B=${ANEMONE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build/rel}
CHUNKS=${BENCH_CHUNKS:-16000000}
MB=${BENCH_MB:-1024}
W=$(mktemp -d /tmp/anemone-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
export XDG_CACHE_HOME=$W/cache LC_ALL=C
summary() {
	[ -z "${BENCH_SUMMARY:-}" ] ||
		printf 'memory\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_SUMMARY"
}

(umask 077 && "$B/bin/anemone-keygen" -t repo >"$W/key")
head -c 100K /dev/urandom | "$B/bin/anemone-push" -q -k "$W/key" "$W/repo" h >/dev/null
per=131072
nix=$(((CHUNKS + per - 1) / per))
s=$(date +%s.%N)
"$B/bench/mkrepo" "$W/key" "$W/repo" h 0 "$nix" "$per"
made=$(echo "$(date +%s.%N) - $s" | bc)
printf '%s index files of %s chunk ids (%s ids, %s MiB of index) made in %.1f s\n' "$nix" "$per" \
	$((nix * per)) $(($(du -sk "$W/repo/index" | cut -f1) / 1024)) "$made"

# SECONDS and peak RSS (MiB) of CMD, or "failed failed": under a 4 GiB
# address-space limit, so that an index too big for the machine fails
# here instead of pressing the whole machine
run() {
	if (ulimit -v 4194304 && exec /usr/bin/time -o "$W/time" -f "%e %M" "$@" >/dev/null) 2>"$W/err"; then
		awk 'END { printf "%s %.1f\n", $1, $2 / 1024 }' "$W/time"
	else
		echo "bench: $* failed: $(tail -n1 "$W/err")" >&2
		echo "failed failed"
	fi
}
read -r tl rl < <(run "$B/bin/anemone-pull" -o no-cache -k "$W/key" "$W/repo" h)
read -r tc rc < <(run "$B/bin/anemone-pull" -k "$W/key" "$W/repo" h)
read -r tw rw < <(run "$B/bin/anemone-pull" -k "$W/key" "$W/repo" h)
head -c "${MB}M" /dev/urandom >"$W/data"
read -r tp rp < <(run "$B/bin/anemone-push" -q -k "$W/key" "$W/repo" big <"$W/data")
read -r tr rr < <(run "$B/bin/anemone-pull" -k "$W/key" "$W/repo" big)
printf '\n%-44s %8s %10s\n' "" seconds "peak MiB"
printf '%-44s %8s %10s\n' "pull of 100 KB, index loaded, no cache" "$tl" "$rl"
printf '%-44s %8s %10s\n' "pull of 100 KB, index loaded, cache cold" "$tc" "$rc"
printf '%-44s %8s %10s\n' "pull of 100 KB, index loaded, cache warm" "$tw" "$rw"
printf '%-44s %8s %10s\n' "push of $MB MiB of new data" "$tp" "$rp"
printf '%-44s %8s %10s\n' "pull of those $MB MiB" "$tr" "$rr"
ok() { [ "$1" != failed ] && [ "$(echo "$1 < $2" | bc)" = 1 ] && echo ok || echo MISSED; }
summary "index load, $((nix * per)) chunk ids, cache warm" "$tw s" "-" "-" "< 2 s: $(ok "$tw" 2)"
summary "push of $MB MiB into $((nix * per)) chunk ids, peak RSS" "$rp MiB" "-" "-" "< 128 MiB: $(ok "$rp" 128)"
summary "pull of $MB MiB from $((nix * per)) chunk ids, peak RSS" "$rr MiB" "-" "-" "< 128 MiB: $(ok "$rr" 128)"
