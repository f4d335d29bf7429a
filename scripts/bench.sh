#!/usr/bin/env bash
# make bench: run every bench/*.sh, then write one summary table to
# standard output and to docs/BENCHMARKS.md, with the machine and date.
#
# The convention between this runner and the benchmarks: when
# $BENCH_SUMMARY is set, a benchmark appends one line per result to it,
#   bench<TAB>what<TAB>anemone<TAB>other<TAB>ratio<TAB>goal
# (the numbers with their unit, the competing tool named in "what" or
# "other", "goal" the budget and whether it was met, "-" when none).
# Everything a benchmark prints goes into BENCHMARKS.md as its details.
#
# Environment: ANEMONE_BUILD (default build/rel); BENCH_OUT (default
# docs/BENCHMARKS.md).  Exit status: 0, or 1 if a benchmark failed.
set -u
export LC_ALL=C
TOP=$(cd "$(dirname "$0")/.." && pwd)
: "${ANEMONE_BUILD:=$TOP/build/rel}"
: "${BENCH_OUT:=$TOP/docs/BENCHMARKS.md}"
export ANEMONE_BUILD

W=$(mktemp -d /tmp/anemone-bench.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export BENCH_SUMMARY=$W/summary.tsv
: >"$BENCH_SUMMARY"
status=0
load=$(cut -d' ' -f1-3 /proc/loadavg)

for b in "$TOP"/bench/*.sh; do
	[ -e "$b" ] || continue
	name=$(basename "$b" .sh)
	echo "== bench/$name.sh"
	start=$(date +%s)
	bash "$b" 2>&1 | tee "$W/$name.out"
	rc=${PIPESTATUS[0]}
	echo "$name $rc $(($(date +%s) - start))" >>"$W/runs"
	if [ "$rc" -ne 0 ]; then
		printf '%s\t%s\t-\t-\t-\tFAILED (exit status %s)\n' "$name" \
			"the benchmark" "$rc" >>"$BENCH_SUMMARY"
		status=1
	elif ! grep -q "^$name	" "$BENCH_SUMMARY"; then
		printf '%s\t%s\t-\t-\t-\t-\n' "$name" \
			"(no summary line: see its details)" >>"$BENCH_SUMMARY"
	fi
done
[ -s "$W/runs" ] || { echo "bench.sh: no bench/*.sh" >&2; exit 1; }

# the table, for the terminal and for markdown
table() {
	awk -F'\t' -v md="$1" '
	BEGIN {
		h[1] = "bench"; h[2] = "what"; h[3] = "anemone"
		h[4] = "other"; h[5] = "ratio"; h[6] = "goal"
	}
	NF != 6 { printf "bad summary line: %s\n", $0 > "/dev/stderr"; next }
	{ n++; for (i = 1; i <= 6; i++) { c[n, i] = $i
		if (length($i) > w[i]) w[i] = length($i) } }
	END {
		for (i = 1; i <= 6; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
		if (md) {
			line = "|"; sep = "|"
			for (i = 1; i <= 6; i++) { line = line " " h[i] " |"
				sep = sep (i >= 3 && i <= 5 ? " ---: |" : " --- |") }
			print line; print sep
			for (r = 1; r <= n; r++) { line = "|"
				for (i = 1; i <= 6; i++) { v = c[r, i]
					gsub(/\|/, "\\|", v); line = line " " v " |" }
				print line }
		} else {
			for (r = 0; r <= n; r++) { line = ""
				for (i = 1; i <= 6; i++) {
					v = r ? c[r, i] : h[i]
					f = (i >= 3 && i <= 5) ? "%*s" : "%-*s"
					line = line sprintf(f, w[i], v) (i < 6 ? "  " : "") }
				sub(/ +$/, "", line); print line }
		}
	}' "$BENCH_SUMMARY"
}

echo
echo "== summary"
table 0

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p "$(dirname "$BENCH_OUT")"
{
	echo "# Benchmarks"
	echo
	echo "The latest \`make bench\` run (\`scripts/bench.sh\` writes this file)."
	echo "Each benchmark runs Anemone and the tool people would otherwise use"
	echo "side by side in the same run; the ratios matter more than the"
	echo "absolute numbers, which depend on the machine and its load."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- commit: $commit"
	echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(awk '/^MemTotal/ { printf "%d GiB RAM", $2 / 1048576 }' /proc/meminfo)"
	echo "- kernel: $(uname -sr); load average at the start: $load"
	echo
	echo "## Summary"
	echo
	table 1
	echo
	echo "## Details"
	while read -r name rc secs; do
		echo
		echo "### bench/$name.sh (exit status $rc, ${secs} s)"
		echo
		echo '```'
		# progress lines rewritten with \r: keep what the reader saw last
		sed -e 's/.*\r//' "$W/$name.out"
		echo '```'
	done <"$W/runs"
} >"$W/md"
mv "$W/md" "$BENCH_OUT"
echo
echo "written: ${BENCH_OUT#"$TOP"/}"
exit $status
