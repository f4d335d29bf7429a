#!/usr/bin/env bash
# bench/probe.sh: anemone-probe on a 250-peer wireguard-go device.  Half
# the peers are alive (a wireguard-go device each, in a second namespace,
# serving TCP 2222 and answering pings); half point to addresses in that
# namespace that never answer.  The budget: the whole probe within twice
# the timeout (all checks run at once).  Side by side, what people would
# otherwise run: `nc -z -w TIMEOUT` per peer, one after the other (timed
# on a sample and scaled, it would take minutes), and fanned out with
# `xargs -P`.  Everything lives in namespaces created here and removed.
set -u
. "$(cd "$(dirname "$0")/.." && pwd)/tests/lib.sh"
: "${N:=250}"
: "${TIMEOUT:=3}"
: "${SAMPLE:=10}"

[ "$(id -u)" -eq 0 ] || { echo "probe.sh: needs root (namespaces)"; exit 0; }
for c in wireguard-go wg ip nc perl anemone-probe; do
	command -v "$c" >/dev/null || { echo "probe.sh: needs $c"; exit 0; }
done
WG_ENV="WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 WG_PROCESS_FOREGROUND=1"
LIVE=$((N / 2))
die() { echo "probe.sh: $*"; exit 1; }
PIDS=

# start_wg NS: a foreground wireguard-go, killed by PID at exit; its
# interface name in $IFN (unique: our PID and a count)
NWG=0
start_wg() {
	NWG=$((NWG + 1))
	IFN=$(printf 'pb%xn%d' $$ "$NWG")
	# shellcheck disable=SC2086
	ip netns exec "$1" env $WG_ENV wireguard-go "$IFN" >/dev/null 2>&1 &
	PIDS="$PIDS $!"; disown $!
	echo "$IFN" >>"$T/ifaces"
}
bench_cleanup() {
	kill $PIDS 2>/dev/null
	sleep 0.5
	kill -9 $PIDS 2>/dev/null
	while read -r i; do rm -f "/var/run/wireguard/$i.sock"; done <"$T/ifaces"
}
: >"$T/ifaces"
at_exit bench_cleanup

netns_pair A B || die "namespaces"
ip netns exec "$B" sysctl -qw net.ipv4.conf.all.rp_filter=0
ip netns exec "$B" sysctl -qw net.ipv4.conf.default.rp_filter=0
start_wg "$A"
IF_A=$IFN
for ((i = 1; i <= LIVE; i++)); do start_wg "$B"; echo "$IFN" >"$T/if.$i"; done
for i in $(cat "$T/ifaces"); do
	wait_for 20 test -S "/var/run/wireguard/$i.sock" ||
		die "wireguard-go $i did not start"
done

# A: one device, N peers; live peer i is B's device i (10.9.1.i on B's
# side, port 30000+i: below the ephemeral range, where the devices took
# random ports when they started), dead peer i a key nobody holds
# (10.9.2.i)
ka=$(wg genkey)
pa=$(printf '%s\n' "$ka" | wg pubkey)
{
	printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n' "$ka"
	for ((i = 1; i <= LIVE; i++)); do
		k=$(wg genkey)
		printf '%s\n' "$k" >"$T/key.$i"
		printf '[Peer]\nPublicKey = %s\nEndpoint = 192.0.2.2:%d\n' \
			"$(printf '%s\n' "$k" | wg pubkey)" $((30000 + i))
		printf 'AllowedIPs = 10.9.%d.%d/32\n' $((1 + i / 250)) $((i % 250))
	done
	for ((i = 1; i <= N - LIVE; i++)); do
		printf '[Peer]\nPublicKey = %s\nEndpoint = 192.0.2.2:%d\n' \
			"$(wg genkey | wg pubkey)" $((53000 + i))
		printf 'AllowedIPs = 10.9.%d.%d/32\n' $((3 + i / 250)) $((i % 250))
	done
} >"$T/a.conf"
ip netns exec "$A" wg setconf "$IF_A" "$T/a.conf" || die "wg setconf"
ip -n "$A" addr add 10.9.0.1/16 dev "$IF_A"
ip -n "$A" link set "$IF_A" up

# B: device i answers for 10.9.x.i and routes its replies back through
# itself (a routing table per source address)
: >"$T/b.batch"
for ((i = 1; i <= LIVE; i++)); do
	ifn=$(cat "$T/if.$i")
	addr=10.9.$((1 + i / 250)).$((i % 250))
	ip netns exec "$B" wg set "$ifn" private-key "$T/key.$i" \
		listen-port $((30000 + i)) peer "$pa" allowed-ips 10.9.0.1/32 ||
		die "wg set $ifn"
	printf 'addr add %s/32 dev %s\nlink set %s up\n' "$addr" "$ifn" "$ifn"
	printf 'rule add from %s table %d\n' "$addr" $((1000 + i))
	printf 'route add 10.9.0.1/32 dev %s table %d\n' "$ifn" $((1000 + i))
done >"$T/b.batch"
ip -n "$B" -batch "$T/b.batch" || die "ip -batch"
ip netns exec "$B" perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(Listen => 4096, LocalPort => 2222,
	    ReuseAddr => 1) or die "listen: $!\n";
	while (my $c = $s->accept) { close $c }' &
PIDS="$PIDS $!"; disown $!
wait_for 10 sh -c "ip netns exec $B ss -Hltn 'sport = :2222' | grep -q ."

# secs CMD...: wall seconds, 2 decimals; stdout of CMD to $T/out
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$T/out" 2>"$T/err"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
inA() { ip netns exec "$A" "$@"; }

echo "device: $N peers, $LIVE alive, $((N - LIVE)) never answer; timeout ${TIMEOUT} s"
printf '%-46s %8s %9s  %s\n' "" "wall s" "/timeout" "up/down"
row() { printf '%-46s %8s %9s  %s\n' "$1" "$2" "$(ratio "$2" "$TIMEOUT")" "$3"; }
updown() { printf '%s/%s' "$(grep -c "$1" "$T/out")" "$(grep -c "$2" "$T/out")"; }

for m in tcp icmp; do
	s=$(secs inA anemone-probe -P "$m" -t "$TIMEOUT" "$IF_A")
	row "anemone-probe -P $m" "$s" "$(updown '	up$' '	down$')"
	[ "$m" != tcp ] || ours=$s
	r=$(ratio "$s" "$TIMEOUT")
	awk -v r="$r" 'BEGIN { exit !(r < 2) }' ||
		echo "  OVER BUDGET: $r x the timeout (budget: under 2)"
done

# the alternatives read the same addresses
inA wg show "$IF_A" allowed-ips | awk '{ sub(/\/32$/, "", $2); print $2 }' \
	>"$T/addrs"
nc_one() { nc -z -w "$TIMEOUT" "$1" 2222 && echo "up $1" || echo "down $1"; }
export -f nc_one
export TIMEOUT
{ grep '^10\.9\.[12]\.' "$T/addrs" | head -n "$SAMPLE"
  grep '^10\.9\.[34]\.' "$T/addrs" | head -n "$SAMPLE"; } >"$T/sample"
n_sample=$(wc -l <"$T/sample")
s=$(secs inA bash -c 'while read -r a; do nc_one "$a"; done' <"$T/sample")
scaled=$(awk -v s="$s" -v n="$N" -v k="$n_sample" 'BEGIN { printf "%.2f", s * n / k }')
row "nc -z, one by one (scaled from $n_sample peers)" "$scaled" \
	"(measured $s s)"
one=$scaled
s=$(secs inA bash -c 'xargs -P 64 -I{} bash -c "nc_one {}"' <"$T/addrs")
row "xargs -P 64 nc -z" "$s" "$(updown '^up' '^down')"
x64=$s
s=$(secs inA bash -c "xargs -P $N -I{} bash -c 'nc_one {}'" <"$T/addrs")
row "xargs -P $N nc -z" "$s" "$(updown '^up' '^down')"

# for make bench's summary (scripts/bench.sh): anemone-probe -P tcp against
# nc -z one by one and 64 at a time; the goal is under 2 timeouts
if [ -n "${BENCH_SUMMARY:-}" ]; then
	goal="< $((2 * TIMEOUT)) s: $(awk -v r="$(ratio "$ours" "$TIMEOUT")" 'BEGIN { print (r < 2) ? "ok" : "OVER" }')"
	printf 'probe\t%d peers (%d alive), vs nc -z one by one\t%s s\t%s s\t%sx\t%s\n' \
		"$N" "$LIVE" "$ours" "$one" "$(ratio "$one" "$ours")" "$goal" >>"$BENCH_SUMMARY"
	printf 'probe\t%d peers (%d alive), vs xargs -P 64 nc -z\t%s s\t%s s\t%sx\t%s\n' \
		"$N" "$LIVE" "$ours" "$x64" "$(ratio "$x64" "$ours")" "$goal" >>"$BENCH_SUMMARY"
fi
