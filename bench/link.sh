#!/usr/bin/env bash
# anemone-link against `wg syncconf`, side by side in one run: 10,000 peers
# applied to a fresh wireguard-go device, then the same config applied
# again unchanged, several times.  Each tool gets its own fresh device per
# round, the order alternating.  Median and best of the samples are
# compared; ratio = wg syncconf time / anemone-link time.  An unchanged
# re-apply by anemone-link is one read of the device and nothing else, so
# its floor is the time wireguard-go takes to answer "get=1", measured
# with `wg showconf` on each device.  The two targets, on the medians:
#   first apply no slower than wg syncconf            (ratio >= 1.00x)
#   unchanged re-apply within 1.2x of one device read (ratio >= 0.83x)
#
#   LINK_BENCH_PEERS (10000)  LINK_BENCH_ROUNDS (3)  LINK_BENCH_AGAIN (5)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${ANEMONE_BUILD:-$TOP/build/rel}
LINK=$BUILD/bin/anemone-link
N=${LINK_BENCH_PEERS:-10000}
ROUNDS=${LINK_BENCH_ROUNDS:-3}
AGAIN=${LINK_BENCH_AGAIN:-5}
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1

for c in wireguard-go wg ip perl; do
	command -v "$c" >/dev/null || { echo "link bench: skipped, needs $c"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "link bench: skipped, needs root"; exit 0; }
[ -x "$LINK" ] || { echo "link bench: no $LINK (make first)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/anemone-bench.XXXXXX)
ns=anb$$
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
	rm -f /var/run/wireguard/lb$$*.sock
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up

# The same peers for both tools; anemone-link also gets the interface
# address (covering every allowed IP, so no routes) that wg cannot take.
perl -MMIME::Base64 -e '
	my ($n) = @ARGV;
	print "[Interface]\nPrivateKey = ", encode_base64(pack("C32", map { $_ * 7 + 1 } 0 .. 31), ""), "\n";
	for my $i (1 .. $n) {
		my $k = encode_base64(pack("N8", 0xbe9c0000 + $i, ($i * 2654435761) % 4294967296, 3, 5, 7, 11, 13, $i), "");
		printf "\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.%d.%d.%d/32\n", $k, 64 + int($i / 65536), int($i / 256) % 256, $i % 256;
		printf "Endpoint = 192.0.2.%d:%d\n", $i % 250 + 1, 1024 + $i if $i % 2;
	}' "$N" >"$tmp/wg.conf"
sed 's|^\[Interface\]$|[Interface]\nAddress = 10.64.0.1/10|' "$tmp/wg.conf" >"$tmp/anemone.conf"

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }

# fresh NAME: start wireguard-go in the namespace, wait for its socket;
# both tools then get the same kind of device: up, with its address
fresh() {
	WG_PROCESS_FOREGROUND=1 ip netns exec "$ns" wireguard-go "$1" >/dev/null 2>&1 &
	pids="$pids $!"
	for _ in $(seq 100); do
		if [ -S "/var/run/wireguard/$1.sock" ]; then
			ip -n "$ns" addr add 10.64.0.1/10 dev "$1"
			ip -n "$ns" link set "$1" up
			return 0
		fi
		sleep 0.05
	done
	echo "link bench: wireguard-go $1 did not start" >&2
	exit 1
}

gone() {
	local p=${pids##* }
	kill "$p" 2>/dev/null || true
	for _ in $(seq 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$p" 2>/dev/null || true
	rm -f "/var/run/wireguard/$1.sock"
	pids=${pids% *}
}

apply() {
	case "$1" in
	wg) ip netns exec "$ns" wg syncconf "$2" "$tmp/wg.conf" ;;
	anemone) ip netns exec "$ns" "$LINK" -f "$tmp/anemone.conf" "$2" ;;
	esac
}

: >"$tmp/results"
for r in $(seq "$ROUNDS"); do
	# alternate who goes first
	if [ $((r % 2)) = 1 ]; then order="wg anemone"; else order="anemone wg"; fi
	for tool in $order; do
		dev=lb$$$r${tool:0:1}
		fresh "$dev"
		t0=$(now); apply "$tool" "$dev"; t1=$(now)
		echo "$tool first $(ms "$t0" "$t1")" >>"$tmp/results"
		for _ in $(seq "$AGAIN"); do
			t0=$(now); apply "$tool" "$dev"; t1=$(now)
			echo "$tool again $(ms "$t0" "$t1")" >>"$tmp/results"
		done
		# the floor for an unchanged re-apply: reading the device once
		for _ in $(seq "$AGAIN"); do
			t0=$(now); ip netns exec "$ns" wg showconf "$dev" >/dev/null; t1=$(now)
			echo "$tool read $(ms "$t0" "$t1")" >>"$tmp/results"
		done
		got=$(ip netns exec "$ns" wg show "$dev" peers | wc -l)
		[ "$got" = "$N" ] || { echo "link bench: $tool left $got peers, want $N" >&2; exit 1; }
		gone "$dev"
	done
done

# stat median|best TOOL first|again
stat() {
	awk -v t="$2" -v w="$3" '$1 == t && $2 == w { print $3 }' "$tmp/results" |
		sort -n | awk -v s="$1" '{ v[NR] = $1 }
			END { print s == "best" ? v[1] : v[int((NR + 1) / 2)] }'
}

printf 'link bench: %d peers onto a fresh wireguard-go device; %d rounds, %d unchanged re-applies each\n' \
	"$N" "$ROUNDS" "$AGAIN"
printf '%-28s %12s %14s %8s\n' "" "wg syncconf" "anemone-link" "ratio"
for what in first again; do
	for s in median best; do
		w=$(stat "$s" wg "$what")
		a=$(stat "$s" anemone "$what")
		label="$([ "$what" = first ] && echo "first apply" || echo "unchanged re-apply"), $s"
		printf '%-28s %9d ms %11d ms %7.2fx\n' "$label" "$w" "$a" \
			"$(awk -v w="$w" -v a="$a" 'BEGIN { print (a > 0 ? w / a : 0) }')"
	done
done
printf '%-28s %9d ms %11d ms   (reading the device: `wg showconf`, median)\n' \
	"device read alone" "$(stat median wg read)" "$(stat median anemone read)"

# target ANEMONE_MS OTHER_MS MIN_RATIO GOAL: "ratio<TAB>goal: ok|MISSED"
target() {
	awk -v a="$1" -v o="$2" -v m="$3" -v g="$4" 'BEGIN {
		r = a > 0 ? o / a : 0
		printf "%.2fx\t%s: %s\n", r, g, (r >= m ? "ok" : "MISSED") }'
}
fa=$(stat median anemone first) fw=$(stat median wg first)
ra=$(stat median anemone again) rr=$(stat median anemone read)
rw=$(stat median wg again)
t1=$(target "$fa" "$fw" 1 "no slower, >= 1.00x")
t2=$(target "$ra" "$rr" 0.8334 "within 1.2x, >= 0.83x")
printf '\ntargets (medians; ratio = other / anemone-link, higher is better):\n'
printf '  first apply vs wg syncconf              %5d ms vs %5d ms  %s\n' \
	"$fa" "$fw" "$(echo "$t1" | tr '\t' ' ')"
printf '  unchanged re-apply vs one device read   %5d ms vs %5d ms  %s\n' \
	"$ra" "$rr" "$(echo "$t2" | tr '\t' ' ')"
# the medians, for make bench's summary (scripts/bench.sh)
if [ -n "${BENCH_SUMMARY:-}" ]; then
	printf 'link\tfirst apply, %d peers, vs wg syncconf\t%d ms\t%d ms\t%s\n' \
		"$N" "$fa" "$fw" "$t1" >>"$BENCH_SUMMARY"
	printf 'link\tunchanged re-apply, %d peers, vs wg syncconf\t%d ms\t%d ms\t%s\n' \
		"$N" "$ra" "$rw" "$(target "$ra" "$rw" 0 "-" | cut -f1)	-" >>"$BENCH_SUMMARY"
	printf 'link\tunchanged re-apply, %d peers, vs one device read (wg showconf)\t%d ms\t%d ms\t%s\n' \
		"$N" "$ra" "$rr" "$t2" >>"$BENCH_SUMMARY"
fi
