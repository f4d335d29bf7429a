#!/usr/bin/env bash
# anemone-push/pull to an sftp:// repository on a real OpenSSH sshd in a
# network namespace, side by side in one run with
#  - the raw ssh pipe on the same data: `ssh host 'cat > file'` (and
#    'cat file' for the way back), on the direct link and through
#    bench/relay (bench/relay.c) adding 10 ms each way (+20 ms RTT);
#  - restic 0.14 with its sftp backend on the same data and link: first
#    push, unchanged re-push, restore (restic dump).
# BENCH_MB (default 512) MiB of random data.  Each timing is the best of
# BENCH_RUNS (default 2) runs.  Prints MB/s, seconds and ratios.
. "$(dirname "$0")/../tests/lib.sh"
. "$TOP/tests/lib-sftp.sh"
require_cmd restic bc
RELAY=$ANEMONE_BUILD/bench/relay
[ -x "$RELAY" ] || { echo "bench: $RELAY not built (make all)"; exit 1; }

MB=${BENCH_MB:-512}
RUNS=${BENCH_RUNS:-2}
declare -A UP_RATIO
sftp_setup
sshd_start $((MB * 4 + 256))m
head -c "${MB}M" /dev/urandom >"$T/data"
(umask 077 && anemone-keygen -t repo >"$T/repokey")
spawn_bg RELAY_PID ip netns exec "$CL" "$RELAY" 127.0.0.1 2299 192.0.2.2 "$SSHD_PORT" 10
wait_for 10 on_client bash -c "exec 3<>/dev/tcp/127.0.0.1/2299" || { echo "bench: relay did not start"; exit 1; }

URL_D=sftp://root@192.0.2.2:$SSHD_PORT/mnt
URL_S=sftp://root@127.0.0.1:2299/mnt
SSHO=(-i "$KEY" -o UserKnownHostsFile="$KNOWN" -o StrictHostKeyChecking=accept-new -o BatchMode=yes)
AO=(-k "$T/repokey" -i "$KEY" -o known_hosts="$KNOWN" -o accept-new)
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$T/rcache

# best SECONDS of RUNS runs of CMD (stdin from $T/data, stdout dropped);
# SETUP (a function name, or :) runs before each
best() {
	local setup=$1 b= s e t i
	shift
	for ((i = 0; i < RUNS; i++)); do
		$setup
		s=$(date +%s.%N)
		on_client "$@" <"$T/data" >/dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
mbs() { echo "scale=1; $MB * 1.048576 / $1" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }
# one line per result for make bench's table (scripts/bench.sh)
summary() {
	[ -z "${BENCH_SUMMARY:-}" ] ||
		printf 'sftp\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_SUMMARY"
}
fresh_repo() { rm -rf "$SRV/repo"; mkdir -p "$SRV/repo"; }
no_raw() { rm -f "$SRV/raw"; }

printf '%s MiB of random data; best of %s runs\n\n' "$MB" "$RUNS"
printf '%-28s %10s %10s %8s\n' "upload" "ssh cat" "push" "ratio"
for link in direct +20ms; do
	if [ "$link" = direct ]; then H=(-p "$SSHD_PORT" root@192.0.2.2) U=$URL_D/repo
	else H=(-p 2299 root@127.0.0.1) U=$URL_S/repo; fi
	tc=$(best no_raw ssh "${SSHO[@]}" "${H[@]}" 'cat > /mnt/raw')
	tp=$(best fresh_repo anemone-push -q "${AO[@]}" "$U" bench)
	printf '%-28s %7s MB/s %5s MB/s %8s\n' "$link" "$(mbs "$tc")" "$(mbs "$tp")" "$(ratio "$tc" "$tp")"
	UP_RATIO[${link}]=$(ratio "$tc" "$tp")
	goal=0.70; [ "$link" = direct ] || goal=0.50
	summary "push, $link link, vs ssh cat > file" "$(mbs "$tp") MB/s" "$(mbs "$tc") MB/s" \
		"$(ratio "$tc" "$tp")" ">= $goal of ssh"
done

printf '\n%-28s %10s %10s %8s\n' "download" "ssh cat" "pull" "ratio"
on_client ssh "${SSHO[@]}" -p "$SSHD_PORT" root@192.0.2.2 'cat > /mnt/raw' <"$T/data"
for link in direct +20ms; do
	if [ "$link" = direct ]; then H=(-p "$SSHD_PORT" root@192.0.2.2) U=$URL_D/repo
	else H=(-p 2299 root@127.0.0.1) U=$URL_S/repo; fi
	tc=$(best : ssh "${SSHO[@]}" "${H[@]}" 'cat /mnt/raw')
	tp=$(best : anemone-pull "${AO[@]}" "$U" bench)
	printf '%-28s %7s MB/s %5s MB/s %8s\n' "$link" "$(mbs "$tc")" "$(mbs "$tp")" "$(ratio "$tc" "$tp")"
	summary "pull, $link link, vs ssh cat file" "$(mbs "$tp") MB/s" "$(mbs "$tc") MB/s" \
		"$(ratio "$tc" "$tp")" "-"
done
rm -f "$SRV/raw"

# restic: its sftp backend runs OpenSSH's ssh; the same key and server
printf '\n%-28s %10s %10s %8s\n' "vs restic 0.14 (direct)" "restic" "anemone" "restic/anemone"
RS=(-o sftp.command="ssh ${SSHO[*]} -p $SSHD_PORT root@192.0.2.2 -s sftp")
RR=sftp:root@192.0.2.2:/mnt/restic
rinit() { rm -rf "$SRV/restic" "$T/rcache"; on_client restic -q "${RS[@]}" -r "$RR" init >/dev/null; }
rpush() { on_client restic -q "${RS[@]}" -r "$RR" backup --stdin --stdin-filename data <"$T/data" >/dev/null; }
ainit() { rm -rf "$SRV/repo"; mkdir -p "$SRV/repo"; }
apush() { on_client anemone-push -q "${AO[@]}" "$URL_D/repo" bench <"$T/data" >/dev/null; }
row() {
	local name=$1 rt=$2 at=$3
	printf '%-28s %8ss %8ss %8s\n' "$name" "$rt" "$at" "$(ratio "$rt" "$at")"
	summary "$name over sftp, vs restic" "$at s" "$rt s" "$(ratio "$rt" "$at")x" "> 1"
}
first_r=$(best rinit restic -q "${RS[@]}" -r "$RR" backup --stdin --stdin-filename data)
first_a=$(best ainit anemone-push -q "${AO[@]}" "$URL_D/repo" bench)
row "first push" "$first_r" "$first_a"
again_r=$(best : restic -q "${RS[@]}" -r "$RR" backup --stdin --stdin-filename data)
again_a=$(best : anemone-push -q "${AO[@]}" "$URL_D/repo" bench)
row "unchanged re-push" "$again_r" "$again_a"
rest_r=$(best : restic -q "${RS[@]}" -r "$RR" dump latest data)
rest_a=$(best : anemone-pull "${AO[@]}" "$URL_D/repo" bench)
row "restore" "$rest_r" "$rest_a"

printf '\ntargets: push >= 0.70 of ssh cat direct (%s), >= 0.50 at +20 ms (%s); restic/anemone > 1 on every row\n' \
	"${UP_RATIO[direct]}" "${UP_RATIO[+20ms]}"
