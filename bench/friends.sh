#!/usr/bin/env bash
# One push to two friends (anemone-push -r A -r B) against two separate
# pushes and against `tee >(anemone-push A) | anemone-push B`, on the
# ~1 GiB tar stream of real files from /usr that bench/backup.sh uses,
# to local repositories under /tmp (no network: what is measured is the
# reading, chunking, hashing, compressing and sealing), each row into
# empty repositories, all in one run.  Wall and CPU (user + system)
# seconds of everything the row runs.  Goal: the push to two friends at
# most 1.3x the wall time and 1.2x the CPU of a push to one.
set -euo pipefail
B=${ANEMONE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build/rel}/bin
SIZE_MB=${BENCH_MB:-1024}
W=$(mktemp -d /tmp/anemone-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
export LC_ALL=C B W

# ~SIZE_MB of regular files from /usr, as one tar file read from the page
# cache by every row
find /usr -xdev -type f -size +0 -readable 2>/dev/null | sort >"$W/all"
BYTES=$((SIZE_MB * 1048576)) perl -ne 'chomp; my @s = lstat($_) or next;
	-f _ or next; s{^/}{}; print "$_\n"; $t += $s[7]; exit if $t >= $ENV{BYTES}' \
	<"$W/all" >"$W/list"
tar c --sort=name -C / -T "$W/list" -f "$W/in.tar" 2>/dev/null
IN=$(stat -c %s "$W/in.tar")
head -c 32 /dev/urandom | base64 >"$W/key"
chmod 600 "$W/key"

declare -A T C
# row NAME SCRIPT: run SCRIPT (bash) with the tar on stdin and empty
# repositories $W/a and $W/b; record wall and CPU seconds
row() {
	rm -rf "$W/a" "$W/b"
	mkdir "$W/a" "$W/b"
	/usr/bin/time -o "$W/time" -f "%e %U %S" bash -c "$2" <"$W/in.tar" \
		>/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
	read -r T[$1] u s <"$W/time"
	C[$1]=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
}
P='"$B/anemone-push" -q -k "$W/key"'
row one "$P \"\$W/a\" bench"
row fan "$P -r \"\$W/a\" -r \"\$W/b\" bench"
row two "$P \"\$W/a\" bench && $P \"\$W/b\" bench <\"\$W/in.tar\""
row tee "mkfifo \"\$W/fifo\" && { $P \"\$W/a\" bench <\"\$W/fifo\" & } &&
	tee \"\$W/fifo\" | $P \"\$W/b\" bench && wait \$! && rm \"\$W/fifo\""

# both friends got the very stream
"$B/anemone-pull" -k "$W/key" "$W/b" bench | cmp - "$W/in.tar" >/dev/null ||
	{ echo "bench: anemone-pull output differs from the input" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
printf 'input: %s MiB tar stream of %s files from /usr; %d cores, load %s\n' \
	"$(mib "$IN")" "$(wc -l <"$W/list")" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "x one = the row's seconds / those of a push to one friend"
printf '%-5s %-46s %8s %7s %8s %7s\n' row what wall_s x_one cpu_s x_one
for r in one fan two tee; do
	case $r in
	one) what="anemone-push A" ;;
	fan) what="anemone-push -r A -r B (two friends, one read)" ;;
	two) what="anemone-push A; anemone-push B" ;;
	tee) what="tee >(anemone-push A) | anemone-push B" ;;
	esac
	printf '%-5s %-46s %8.2f %6sx %8.2f %6sx\n' "$r" "$what" "${T[$r]}" \
		"$(ratio "${T[$r]}" "${T[one]}")" "${C[$r]}" "$(ratio "${C[$r]}" "${C[one]}")"
done
wall=$(ratio "${T[fan]}" "${T[one]}") cpu=$(ratio "${C[fan]}" "${C[one]}")
ok() { awk -v x="$1" -v g="$2" 'BEGIN { print (x <= g ? "ok" : "MISSED") }'; }
printf 'goal: two friends at most 1.3x the wall (%sx: %s) and 1.2x the CPU (%sx: %s) of one\n' \
	"$wall" "$(ok "$wall" 1.3)" "$cpu" "$(ok "$cpu" 1.2)"
if [ -n "${BENCH_SUMMARY:-}" ]; then
	for r in two tee; do
		printf 'friends\tpush to two friends, %s MiB from /usr, wall, vs %s\t%.2f s\t%.2f s\t%sx\t-\n' \
			"$(mib "$IN")" "$r" "${T[fan]}" "${T[$r]}" "$(ratio "${T[$r]}" "${T[fan]}")" >>"$BENCH_SUMMARY"
	done
	printf 'friends\tpush to two friends vs one, wall\t%.2f s\t%.2f s\t%sx\t<= 1.3x: %s\n' \
		"${T[fan]}" "${T[one]}" "$wall" "$(ok "$wall" 1.3)" >>"$BENCH_SUMMARY"
	printf 'friends\tpush to two friends vs one, CPU\t%.2f s\t%.2f s\t%sx\t<= 1.2x: %s\n' \
		"${C[fan]}" "${C[one]}" "$cpu" "$(ok "$cpu" 1.2)" >>"$BENCH_SUMMARY"
fi
