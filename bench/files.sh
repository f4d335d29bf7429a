#!/usr/bin/env bash
# File-aware snapshots, on a ~1 GiB tar stream of real files from /usr
# (BENCH_MB, default 1024) in an sftp:// repository on a real OpenSSH sshd
# in a network namespace, side by side in one run:
#  - one ~1 MiB file restored: `anemone-pull REPO NAME PATH` against a
#    full `anemone-pull REPO NAME | tar x PATH` and against restic 0.14's
#    `restore --include` (restic backing up the same tree as files):
#    bytes the friend sent (its veth's counter) and wall time;
#  - `anemone-pull -t` of every member;
#  - what the catalogue costs a stream push (local repository): the same
#    stream with its first byte changed, which is then no tar archive and
#    gets no catalogue, pushed the same way.
# Each timing is the best of BENCH_RUNS (default 2) runs.
. "$(dirname "$0")/../tests/lib.sh"
. "$TOP/tests/lib-sftp.sh"
require_cmd restic bc perl

MB=${BENCH_MB:-1024}
RUNS=${BENCH_RUNS:-2}
sftp_setup
sshd_start $((MB * 3 + 512))m
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$T/rcache
(umask 077 && anemone-keygen -t repo >"$T/repokey")

# ~MB of regular files from /usr, as bench/backup.sh takes them
find /usr -xdev -type f -size +0 -readable 2>/dev/null | sort >"$T/all"
BYTES=$((MB * 1048576)) perl -ne 'chomp; my @s = lstat($_) or next;
	-f _ or next; s{^/}{}; print "$_\n"; $t += $s[7]; exit if $t >= $ENV{BYTES}' \
	<"$T/all" >"$T/list"
mkdir "$T/tree"
tar c -C / -T "$T/list" 2>/dev/null | tar x -C "$T/tree"
mktar() { tar c --sort=name -C "$T/tree" .; }
mktar >"$T/s.tar"
members=$(tar tf "$T/s.tar" | wc -l)
# the file nearest 1 MiB
target=$(cd "$T/tree" && find . -type f -printf '%s %P\n' |
	awk '{ d = $1 - 1048576; if (d < 0) d = -d; if (best == "" || d < best) { best = d; f = $2 } } END { print f }')
tsize=$(stat -c %s "$T/tree/$target")

URL=sftp://root@192.0.2.2:$SSHD_PORT/mnt/repo
AO=(-k "$T/repokey" -i "$KEY" -o known_hosts="$KNOWN" -o accept-new)
SSHO=(-i "$KEY" -o UserKnownHostsFile="$KNOWN" -o StrictHostKeyChecking=accept-new -o BatchMode=yes)
RS=(-o sftp.command="ssh ${SSHO[*]} -p $SSHD_PORT root@192.0.2.2 -s sftp")
RR=sftp:root@192.0.2.2:/mnt/restic
on_client anemone-push -q "${AO[@]}" "$URL" bench <"$T/s.tar" >/dev/null
on_client restic -q "${RS[@]}" -r "$RR" init >/dev/null
on_client restic -q "${RS[@]}" -r "$RR" backup "$T/tree" >/dev/null

sent() { ip netns exec "$SV" cat "/sys/class/net/$VETH_B/statistics/tx_bytes"; }
# measure NAME CMD: best wall time of RUNS runs in the client namespace,
# and the bytes the friend sent in the last; the output is checked after
declare -A SEC BYT
measure() {
	local name=$1 got=$2 b= s e t i before
	shift 2
	for ((i = 0; i < RUNS; i++)); do
		rm -rf "$T/out" && mkdir "$T/out"
		before=$(sent)
		s=$(date +%s.%N)
		(cd "$T/out" && on_client bash -c "$*") 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
		BYT[$name]=$(($(sent) - before))
	done
	SEC[$name]=$b
	cmp "$T/tree/$target" "$T/out/$got" || { echo "bench: $name restored a different file" >&2; exit 1; }
}
q() { printf '%q ' "$@"; }
measure part "$target" "$(q anemone-pull "${AO[@]}" "$URL" bench "$target") | tar x"
measure full "$target" "$(q anemone-pull "${AO[@]}" "$URL" bench) | tar x $(q "./$target")"
# restic keeps absolute paths: the tree's own
measure restic "$T/tree/$target" "$(q restic -q "${RS[@]}" -r "$RR" restore latest --target . --include "$T/tree/$target")"

mib() { echo "scale=2; $1 / 1048576" | bc; }
ratio() { echo "scale=1; $1 / $2" | bc; }
summary() {
	[ -z "${BENCH_SUMMARY:-}" ] ||
		printf 'files\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_SUMMARY"
}
printf '%s MiB tar stream of %s members from /usr over sftp; one file of %s bytes; best of %s runs\n\n' \
	"$(mib "$(stat -c %s "$T/s.tar")")" "$members" "$tsize" "$RUNS"
printf '%-34s %10s %12s\n' "restore one file" seconds "MiB sent"
for k in part full restic; do
	case $k in
	part) label="anemone-pull NAME PATH | tar x" ;;
	full) label="anemone-pull NAME | tar x PATH" ;;
	restic) label="restic restore --include" ;;
	esac
	printf '%-34s %10s %12s\n' "$label" "${SEC[$k]}" "$(mib "${BYT[$k]}")"
done
summary "one 1 MiB file of a 1 GiB snapshot, sftp: s, vs full pull | tar x" \
	"${SEC[part]} s" "${SEC[full]} s" "$(ratio "${SEC[full]}" "${SEC[part]}")x" "< 0.5 s"
summary "the same, MiB read from the friend, vs full pull" \
	"$(mib "${BYT[part]}") MiB" "$(mib "${BYT[full]}") MiB" "$(ratio "${BYT[full]}" "${BYT[part]}")x" "< 4 MiB"
summary "the same, vs restic restore --include" \
	"${SEC[part]} s" "${SEC[restic]} s" "$(ratio "${SEC[restic]}" "${SEC[part]}")x" "> 1"

# -t of every member (warm: the second of two runs counts too)
best_t= ; for ((i = 0; i < RUNS + 1; i++)); do
	s=$(date +%s.%N)
	on_client anemone-pull -t "${AO[@]}" "$URL" bench >"$T/t.out"
	t=$(echo "$(date +%s.%N) - $s" | bc)
	if [ $i -gt 0 ] && { [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc)" = 1 ]; }; then best_t=$t; fi
done
[ "$(wc -l <"$T/t.out")" = "$members" ] || { echo "bench: -t listed $(wc -l <"$T/t.out") of $members" >&2; exit 1; }
tvt=$( { s=$(date +%s.%N); tar tvf "$T/s.tar" >/dev/null; echo "$(date +%s.%N) - $s" | bc; } )
printf '\n%-34s %10s   (tar tv of the local stream: %s s)\n' "anemone-pull -t, $members members" "$best_t" "$tvt"
summary "-t of $members members over sftp, vs tar tv of a local file" "$best_t s" "$tvt s" \
	"$(ratio "$tvt" "$best_t")x" "< 0.2 s"

# catalogue cost on the stream push, local repositories
{ printf 'X'; tail -c +2 "$T/s.tar"; } >"$T/n.tar"
pushbest() {
	local f=$1 repo=$2 b= s t i
	for ((i = 0; i < RUNS; i++)); do
		s=$(date +%s.%N)
		anemone-push -q -k "$T/repokey" "$repo" bench <"$f" >/dev/null
		t=$(echo "$(date +%s.%N) - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
		[ "$3" = again ] || rm -rf "$repo"
	done
	echo "$b"
}
ft=$(pushbest "$T/s.tar" "$T/lt" first)
fn=$(pushbest "$T/n.tar" "$T/ln" first)
anemone-push -q -k "$T/repokey" "$T/lt" bench <"$T/s.tar" >/dev/null
anemone-push -q -k "$T/repokey" "$T/ln" bench <"$T/n.tar" >/dev/null
ut=$(pushbest "$T/s.tar" "$T/lt" again)
un=$(pushbest "$T/n.tar" "$T/ln" again)
pct() { echo "scale=1; ($1 - $2) * 100 / $2" | bc; }
printf '\n%-34s %10s %10s %8s\n' "stream push, local" "tar" "not tar" "cost %"
printf '%-34s %10s %10s %8s\n' "first push" "$ft" "$fn" "$(pct "$ft" "$fn")"
printf '%-34s %10s %10s %8s\n' "unchanged re-push" "$ut" "$un" "$(pct "$ut" "$un")"
summary "first push with catalogue, vs the same bytes not tar" "$ft s" "$fn s" "$(pct "$ft" "$fn")%" "<= +5%"
summary "unchanged re-push with catalogue, vs not tar" "$ut s" "$un s" "$(pct "$ut" "$un")%" "<= +5%"
