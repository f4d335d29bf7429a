#!/usr/bin/env bash
# anemone-link -r and partial applies, with real name resolution: every
# anemone-link here runs with a hosts file of the test's own, bind-mounted
# over /etc/hosts in a private mount namespace (with_hosts).
#   A 192.0.2.1 ---- alice 192.0.2.2, later 192.0.2.12 (her ISP moves her)
#     198.51.100.1 -- bob 198.51.100.2, listening on 51821 where A's
#                      config says 51820 (his NAT changed the port): a
#                      live roamed peer
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-link.sh"
require_root
require_cmd wireguard-go wg ip unshare mount ping

link_keys
KB=$(wg genkey) && PB=$(echo "$KB" | wg pubkey) ||
	{ echo "Bail out! wg genkey"; exit 1; }
netns_pair A L
VL=$VETH_B
netns_new B
veth_join "$A" "$B" 198.51.100.1/24 198.51.100.2/24 ||
	{ echo "Bail out! veth"; exit 1; }
IA=$(uniq_name ra) IL=$(uniq_name rl) IB=$(uniq_name rb)
link_forget "$A" "$IA"
link_forget "$L" "$IL"
link_forget "$B" "$IB"

cat >"$T/a.conf" <<EOF
[Interface]
PrivateKey = $K1
ListenPort = 51820
Address = 10.8.0.1/24

[Peer]
# alice
PublicKey = $P2
Endpoint = alice.test:51820
AllowedIPs = 10.8.0.2/32

[Peer]
# bob
PublicKey = $PB
Endpoint = bob.test:51820
AllowedIPs = 10.8.0.3/32
EOF
# alice does not know where A is: only A can call her
printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\nAddress = 10.8.0.2/24\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.0.1/32\n' \
	"$K2" "$P1" >"$T/l.conf"
printf '[Interface]\nPrivateKey = %s\nListenPort = 51821\nAddress = 10.8.0.3/24\n[Peer]\nPublicKey = %s\nEndpoint = 198.51.100.1:51820\nAllowedIPs = 10.8.0.1/32\n' \
	"$KB" "$P1" >"$T/b.conf"
awk 'BEGIN { RS = ""; ORS = "\n\n" } !/# bob/' "$T/a.conf" >"$T/alice.conf"
printf '192.0.2.2 alice.test\n198.51.100.2 bob.test\n' >"$T/hosts"

linkA() { with_hosts "$T/hosts" ip netns exec "$A" anemone-link "$@"; }
# bob handshakes anew, from his roamed port: a fresh handshake on A
bob_calls() {
	ip netns exec "$B" wg set "$IB" peer "$P1" remove &&
	ip netns exec "$B" anemone-link "$IB" <"$T/b.conf" &&
	ip netns exec "$B" ping -c1 -W5 10.8.0.1 >/dev/null &&
	test "$(hs_age "$A" "$IA" "$PB")" -lt 2
}
age_at_least() { test "$(hs_age "$A" "$IA" "$1")" -ge "$2"; }
endpoint() {
	ip netns exec "$A" wg show "$IA" endpoints | awk -v k="$1" '$1 == k { print $2 }'
}

test_expect_success 'names resolve through the test hosts file' '
	linkA "$IA" <a.conf >out 2>err &&
	test_cmp /dev/null err &&
	ip netns exec "$L" anemone-link "$IL" <l.conf &&
	ip netns exec "$B" anemone-link "$IB" <b.conf &&
	test "$(endpoint "$P2")" = 192.0.2.2:51820 &&
	test "$(endpoint "$PB")" = 198.51.100.2:51820 &&
	ip netns exec "$A" ping -c1 -W5 10.8.0.2 >/dev/null
'

test_expect_success 'setup: alice moves, her handshake goes stale; bob roams' '
	ip -n "$L" addr del 192.0.2.2/24 dev "$VL" &&
	ip -n "$L" addr add 192.0.2.12/24 dev "$VL" &&
	printf "192.0.2.12 alice.test\n198.51.100.2 bob.test\n" >hosts &&
	wait_for 10 age_at_least "$P2" 4 &&
	bob_calls &&
	test "$(endpoint "$PB")" = 198.51.100.2:51821
'

test_expect_success 'fresh handshakes (the default 180 s): nothing looked up, nothing sent' '
	linkA -r -v "$IA" <a.conf >out 2>err &&
	test_cmp /dev/null out &&
	test_cmp /dev/null err &&
	test "$(endpoint "$P2")" = 192.0.2.2:51820
'

test_expect_success 'refresh moves the stale peer only; the roamed one keeps its endpoint' '
	ip netns exec "$A" wg show "$IA" endpoints &&
	ip netns exec "$A" wg show "$IA" latest-handshakes &&
	bob_calls &&
	linkA -r -a 4 -n "$IA" <a.conf >plan &&
	linkA -r -a 4 -v "$IA" <a.conf >out 2>err &&
	printf "change\tpeer\t%s\tname=alice endpoint=192.0.2.2:51820->192.0.2.12:51820\n" \
		"$P2" >expect &&
	test_cmp expect plan &&
	test_cmp expect out &&
	test_cmp /dev/null err &&
	test "$(endpoint "$P2")" = 192.0.2.12:51820 &&
	test "$(endpoint "$PB")" = 198.51.100.2:51821
'

test_expect_success 'the tunnel to alice is back within one handshake' '
	ip netns exec "$A" ping -c1 -W5 10.8.0.2 >/dev/null
'

test_expect_success 'again, as cron would: no change, nothing sent' '
	bob_calls &&
	linkA -r -a 4 -v "$IA" <a.conf >out 2>err &&
	test_cmp /dev/null out &&
	test_cmp /dev/null err
'

test_expect_success 'a plain apply of the same config would reset the roamed peer' '
	linkA -n "$IA" <a.conf >out &&
	printf "change\tpeer\t%s\tname=bob endpoint=198.51.100.2:51821->198.51.100.2:51820\n" \
		"$PB" >expect &&
	test_cmp expect out
'

# bob out of the way from here: a plain apply sends him back to the
# configured port, and he may roam again whenever he speaks
cp "$T/alice.conf" "$T/c.conf"
cat >>"$T/c.conf" <<EOF

[Peer]
# carol
PublicKey = $P3
Endpoint = carol.test:51820
AllowedIPs = 10.8.0.4/32

[Peer]
# dave
PublicKey = $P4
Endpoint = 192.0.2.4:51820
AllowedIPs = 10.8.0.5/32
EOF

test_expect_success 'a name that does not resolve: the rest applied, exit 3, one warning' '
	test_expect_code 3 linkA "$IA" <c.conf >out 2>err &&
	test_cmp /dev/null out &&
	test "$(wc -l <err)" = 1 &&
	grep "^anemone-link: warning: peer carol ($P3): cannot resolve carol.test: .*; endpoint left as it is\$" err &&
	ip netns exec "$A" wg show "$IA" allowed-ips >ips &&
	grep -qx "$P3	10.8.0.4/32" ips &&
	grep -qx "$P4	10.8.0.5/32" ips &&
	test "$(endpoint "$P3")" = "(none)" &&
	test "$(endpoint "$P4")" = 192.0.2.4:51820 &&
	test "$(endpoint "$P2")" = 192.0.2.12:51820
'

test_expect_success 'a peer whose name stops resolving keeps its endpoint' '
	printf "198.51.100.2 bob.test\n" >hosts2 &&
	sed "s|^AllowedIPs = 10.8.0.2/32\$|&\nPersistentKeepalive = 7|" c.conf >c2.conf &&
	test_expect_code 3 with_hosts hosts2 ip netns exec "$A" \
		anemone-link -v "$IA" <c2.conf >out 2>err &&
	printf "change\tpeer\t%s\tname=alice keepalive=0->7\n" "$P2" >expect &&
	test_cmp expect out &&
	test "$(grep -c "^anemone-link: warning: peer" err)" = 2 &&
	grep -q "peer alice ($P2): cannot resolve alice.test" err &&
	test "$(endpoint "$P2")" = 192.0.2.12:51820 &&
	ip netns exec "$A" wg show "$IA" persistent-keepalive | grep -qx "$P2	7"
'

test_expect_success 'refresh: a stale name that does not resolve is exit 3, the peer left alone' '
	test_expect_code 3 with_hosts hosts2 ip netns exec "$A" \
		anemone-link -r -a 0 -v "$IA" <alice.conf >out 2>err &&
	test_cmp /dev/null out &&
	grep -q "^anemone-link: warning: peer alice ($P2): cannot resolve alice.test" err &&
	test "$(endpoint "$P2")" = 192.0.2.12:51820
'

test_expect_success 'usage: -a only with -r' '
	test_expect_code 2 anemone-link -a 5 wg0 </dev/null 2>err &&
	test_expect_code 2 anemone-link -r -a x wg0 </dev/null 2>>err &&
	grep -q "^usage: anemone-link" err &&
	grep -qx "anemone-link: -a x: want seconds, 0..86400" err
'

done_testing
