#!/usr/bin/env bash
# anemone-push/pull against restic 0.14, side by side, both to local
# repositories under /tmp, on a ~1 GiB tar stream of real files copied
# from /usr.  Rows: first push, unchanged re-push, re-push after changing
# 1% of the files, full restore.  Prints seconds, ratio (restic/anemone:
# above 1 means anemone is faster), bytes added to the repository, peak RSS.
set -euo pipefail
B=${ANEMONE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build/rel}/bin
SIZE_MB=${BENCH_MB:-1024}
command -v restic >/dev/null || { echo "bench: restic not installed, skipped"; exit 0; }
W=$(mktemp -d /tmp/anemone-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$W/rcache LC_ALL=C

# ~SIZE_MB of regular files from /usr, copied so that we may change them
find /usr -xdev -type f -size +0 -readable 2>/dev/null | sort >"$W/all"
BYTES=$((SIZE_MB * 1048576)) perl -ne 'chomp; my @s = lstat($_) or next;
	-f _ or next; s{^/}{}; print "$_\n"; $t += $s[7]; exit if $t >= $ENV{BYTES}' \
	<"$W/all" >"$W/list"
mkdir "$W/tree"
tar c -C / -T "$W/list" 2>/dev/null | tar x -C "$W/tree"
mktar() { tar c --sort=name -C "$W/tree" .; }
mktar >"$W/ref.tar"
IN=$(stat -c %s "$W/ref.tar")
rm -f "$W/ref.tar"

head -c 32 /dev/urandom | base64 >"$W/key"
chmod 600 "$W/key"
restic init -q -r "$W/restic" >/dev/null
mkdir -p "$W/anemone"

# run LABEL TOOL CMD...: time the command with the tar stream on stdin
declare -A T M S C
reposize() { du -sb "$1" | cut -f1; }
run() {
	local row=$1 tool=$2 repo=$3 before
	shift 3
	before=$(reposize "$repo")
	mktar | /usr/bin/time -o "$W/time" -f "%e %M %U %S" "$@" >/dev/null 2>"$W/err" ||
		{ cat "$W/err" >&2; exit 1; }
	read -r T[$row.$tool] M[$row.$tool] u s <"$W/time"
	C[$row.$tool]=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
	S[$row.$tool]=$(( $(reposize "$repo") - before ))
}
restore() {
	local tool=$1 repo=$2
	shift 2
	/usr/bin/time -o "$W/time" -f "%e %M %U %S" "$@" >/dev/null 2>"$W/err" ||
		{ cat "$W/err" >&2; exit 1; }
	read -r T[restore.$tool] M[restore.$tool] u s <"$W/time"
	C[restore.$tool]=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
	S[restore.$tool]=0
}
push_a() { run "$1" anemone "$W/anemone" "$B/anemone-push" -q -k "$W/key" "$W/anemone" bench; }
push_r() { run "$1" restic "$W/restic" restic -q -r "$W/restic" backup --stdin --stdin-filename bench.tar; }

push_a first; push_r first
push_a unchanged; push_r unchanged
# change 1% of the files: 64 random bytes in the middle of every 100th
n=0
while read -r f; do
	n=$((n + 1))
	[ $((n % 100)) -eq 0 ] || continue
	sz=$(stat -c %s "$W/tree/$f")
	head -c 64 /dev/urandom | dd of="$W/tree/$f" bs=1 seek=$((sz / 2)) conv=notrunc status=none
done <"$W/list"
push_a change1pct; push_r change1pct
restore anemone "$W/anemone" "$B/anemone-pull" -k "$W/key" "$W/anemone" bench
restore restic "$W/restic" restic -q -r "$W/restic" dump latest bench.tar

# the restored stream is exact
mktar | cmp - <("$B/anemone-pull" -k "$W/key" "$W/anemone" bench) >/dev/null ||
	{ echo "bench: anemone-pull output differs from the input" >&2; exit 1; }

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
printf 'input: %s MiB tar stream of %s files from /usr; %d cores, load %s\n' \
	"$(mib "$IN")" "$(wc -l <"$W/list")" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "ratio = restic time / anemone time (> 1: anemone faster); cpu = user + system seconds"
printf '%-11s %9s %9s %7s %7s %7s %12s %12s %9s %9s\n' row anemone_s restic_s ratio a_cpu r_cpu anemone_MiB restic_MiB a_rss_MiB r_rss_MiB
for row in first unchanged change1pct restore; do
	a=${T[$row.anemone]} r=${T[$row.restic]}
	printf '%-11s %9.2f %9.2f %6.2fx %7.2f %7.2f %12s %12s %9.1f %9.1f\n' "$row" "$a" "$r" \
		"$(awk -v a="$a" -v r="$r" 'BEGIN { print (a > 0 ? r / a : 0) }')" \
		"${C[$row.anemone]}" "${C[$row.restic]}" \
		"$(mib "${S[$row.anemone]}")" "$(mib "${S[$row.restic]}")" \
		"$(awk -v k="${M[$row.anemone]}" 'BEGIN { print k / 1024 }')" \
		"$(awk -v k="${M[$row.restic]}" 'BEGIN { print k / 1024 }')"
	# one line per row for make bench's summary (scripts/bench.sh)
	[ -z "${BENCH_SUMMARY:-}" ] || printf 'backup\t%s, %s MiB from /usr, vs restic\t%.2f s\t%.2f s\t%.2fx\t-\n' \
		"$row" "$(mib "$IN")" "$a" "$r" \
		"$(awk -v a="$a" -v r="$r" 'BEGIN { print (a > 0 ? r / a : 0) }')" >>"$BENCH_SUMMARY"
done
printf 'repository: anemone %s MiB, restic %s MiB\n' "$(mib "$(reposize "$W/anemone")")" "$(mib "$(reposize "$W/restic")")"
