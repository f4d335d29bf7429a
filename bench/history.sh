#!/usr/bin/env bash
# A long history over sftp: a repository of BENCH_HISTORY (default 1000)
# snapshots and as many index files, as a year or three of nightly pushes
# leave it, on a real OpenSSH sshd in a network namespace, on the direct
# link and through bench/relay adding 10 ms each way (+20 ms RTT).  Rows:
# `anemone-pull -l`, a push of 100 KB, a pull of a 100 KB snapshot, each
# with the metadata cache cold (removed before the run) and warm (right
# after that run), side by side with restic 0.14 on a history of the same
# length (`snapshots`, `backup --stdin`, `dump`; its cache cold and warm).
#
# The history is made fast: one real push of 100 KB, then bench/mkrepo
# adds copies of its snapshot record and index files of 32 random entries
# each through the library; restic's the same way: one real backup, then
# bench/restic-history.py adds copies of its snapshot file (restic's own
# encryption; a thousand real backups would take many minutes).
. "$(dirname "$0")/../tests/lib.sh"
. "$TOP/tests/lib-sftp.sh"
require_cmd restic bc python3
B=$ANEMONE_BUILD
[ -x "$B/bench/relay" ] && [ -x "$B/bench/mkrepo" ] ||
	{ echo "bench: $B/bench/relay or mkrepo not built (make all)"; exit 1; }

N=${BENCH_HISTORY:-1000}
sftp_setup
sshd_start 1024m
spawn_bg RELAY_PID ip netns exec "$CL" "$B/bench/relay" 127.0.0.1 2299 192.0.2.2 "$SSHD_PORT" 10
wait_for 10 on_client bash -c "exec 3<>/dev/tcp/127.0.0.1/2299" || { echo "bench: relay did not start"; exit 1; }
export XDG_CACHE_HOME=$T/cache RESTIC_CACHE_DIR=$T/rcache RESTIC_PASSWORD=bench
(umask 077 && anemone-keygen -t repo >"$T/repokey")
head -c 100K /dev/urandom >"$T/base"

s=$(date +%s.%N)
anemone-push -q -k "$T/repokey" "$SRV/repo" h <"$T/base" >/dev/null
"$B/bench/mkrepo" "$T/repokey" "$SRV/repo" h $((N - 1)) $((N - 1)) 32 || exit 1
made_a=$(echo "$(date +%s.%N) - $s" | bc)
s=$(date +%s.%N)
restic -q -r "$SRV/restic" init --repository-version 1 >/dev/null
restic -q -r "$SRV/restic" backup --stdin --stdin-filename d <"$T/base" >/dev/null
python3 "$TOP/bench/restic-history.py" "$SRV/restic" $((N - 1)) || exit 1
made_r=$(echo "$(date +%s.%N) - $s" | bc)
printf 'history: %s snapshots, %s index files (anemone: made in %.1f s; restic: %s snapshots made in %.1f s)\n' \
	"$(ls "$SRV/repo/snapshots" | wc -l)" "$(ls "$SRV/repo/index" | wc -l)" "$made_a" \
	"$(ls "$SRV/restic/snapshots" | wc -l)" "$made_r"

SSHO=(-i "$KEY" -o UserKnownHostsFile="$KNOWN" -o StrictHostKeyChecking=accept-new -o BatchMode=yes)
AO=(-k "$T/repokey" -i "$KEY" -o known_hosts="$KNOWN" -o accept-new)

# SECONDS of one run of CMD in the client namespace (stdin: 100 KB)
t() {
	local s e
	head -c 100K /dev/urandom >"$T/in"
	s=$(date +%s.%N)
	on_client "$@" <"$T/in" >/dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
	e=$(date +%s.%N)
	echo "scale=2; ($e - $s) / 1" | bc | sed 's/^\./0./'
}
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }
summary() {
	[ -z "${BENCH_SUMMARY:-}" ] ||
		printf 'history\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_SUMMARY"
}
cold() { rm -rf "$XDG_CACHE_HOME" "$RESTIC_CACHE_DIR"; }

printf '\n%-6s %-6s %10s %10s %10s %10s %8s %8s\n' link op "a cold" "a warm" "r cold" "r warm" \
	"r/a cold" "r/a warm"
for link in direct +20ms; do
	if [ "$link" = direct ]; then
		U=sftp://root@192.0.2.2:$SSHD_PORT/mnt/repo H=(-p "$SSHD_PORT" root@192.0.2.2)
	else
		U=sftp://root@127.0.0.1:2299/mnt/repo H=(-p 2299 root@127.0.0.1)
	fi
	R=(-r sftp:x:/mnt/restic -o sftp.command="ssh ${SSHO[*]} ${H[*]} -s sftp")
	for op in list push pull; do
		case $op in
		list) A=(anemone-pull "${AO[@]}" -l "$U") RC=(restic -q "${R[@]}" snapshots) ;;
		push) A=(anemone-push -q "${AO[@]}" "$U" h)
			RC=(restic -q "${R[@]}" backup --stdin --stdin-filename d) ;;
		pull) A=(anemone-pull "${AO[@]}" "$U" h) RC=(restic -q "${R[@]}" dump latest d) ;;
		esac
		cold; ac=$(t "${A[@]}"); aw=$(t "${A[@]}")
		cold; rc=$(t "${RC[@]}"); rw=$(t "${RC[@]}")
		printf '%-6s %-6s %9ss %9ss %9ss %9ss %8s %8s\n' "$link" "$op" "$ac" "$aw" "$rc" "$rw" \
			"$(ratio "$rc" "$ac")" "$(ratio "$rw" "$aw")"
		goal=-
		[ "$link" = +20ms ] && goal="< 5 s and ahead: $( [ "$(echo "$ac < 5 && $ac < $rc" | bc)" = 1 ] && echo ok || echo MISSED)"
		summary "$N snapshots, $op, $link, cache cold, vs restic" "$ac s" "$rc s" "$(ratio "$rc" "$ac")x" "$goal"
		[ "$link" = +20ms ] && goal="< 0.5 s and ahead: $( [ "$(echo "$aw < 0.5 && $aw < $rw" | bc)" = 1 ] && echo ok || echo MISSED)"
		summary "$N snapshots, $op, $link, cache warm, vs restic" "$aw s" "$rw s" "$(ratio "$rw" "$aw")x" "$goal"
	done
done
printf '\na = anemone, r = restic 0.14; r/a > 1: anemone faster.  Goals at +20 ms: warm < 0.5 s, cold < 5 s, both ahead of restic.\n'
