#!/usr/bin/env bash
# Relays (anemone.yaml(5), RELAYS) on real wireguard-go devices: bob and
# carol are both without an endpoint and cannot reach each other's
# underlay at all; alice has one.  Each box runs only
# `anemone-render -n NAME mesh.yaml | anemone-link`; bob and carol then
# ping each other through alice, and anemone-probe says so.
#   bob 192.0.2.2 ---- 192.0.2.1 alice 198.51.100.1 ---- 198.51.100.2 carol
#                      (carol reaches 192.0.2.1 through alice's veth)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-link.sh"
require_root
require_cmd wireguard-go wg ip ping sysctl anemone-render anemone-probe

link_keys
KC=$(wg genkey) && PC=$(echo "$KC" | wg pubkey) ||
	{ echo "Bail out! wg genkey"; exit 1; }
netns_pair NA NB
netns_new NC
veth_join "$NA" "$NC" 198.51.100.1/24 198.51.100.2/24 ||
	{ echo "Bail out! veth"; exit 1; }
ip -n "$NC" route add 192.0.2.1/32 via 198.51.100.1
# what the relay box needs, and only that
ip netns exec "$NA" sysctl -qw net.ipv4.ip_forward=1
declare -A NS=([alice]=$NA [bob]=$NB [carol]=$NC) IF
for n in alice bob carol; do
	IF[$n]=$(uniq_name "${n:0:2}")
	link_forget "${NS[$n]}" "${IF[$n]}"
done
(umask 077 && echo "$K1" >"$T/alice.key" && echo "$K2" >"$T/bob.key" &&
	echo "$KC" >"$T/carol.key")

cat >"$T/mesh.yaml" <<EOF
nodes:
  - name: alice
    public_key: "$P1"
    address: 10.8.0.1/24
    endpoint: "192.0.2.1:51820"
    listen_port: 51820
  - name: bob
    public_key: "$P2"
    address: 10.8.0.2/24
    persistent_keepalive: 25
  - name: carol
    public_key: "$PC"
    address: 10.8.0.3/24
    persistent_keepalive: 25
EOF

up() {
	anemone-render -n "$1" -k "$T/$1.key" "$T/mesh.yaml" |
		ip netns exec "${NS[$1]}" anemone-link "${IF[$1]}"
}
# has_handshake NODE KEY: NODE completed a handshake with peer KEY
has_handshake() {
	ip netns exec "${NS[$1]}" wg show "${IF[$1]}" latest-handshakes |
		awk -v k="$2" '$1 == k && $2 > 0 { ok = 1 } END { exit !ok }'
}

test_expect_success 'render | link on each box; bob and carol have alice as only peer' '
	up alice && up bob && up carol &&
	ip netns exec "$NB" wg show "${IF[bob]}" allowed-ips >got &&
	printf "%s\t10.8.0.1/32 10.8.0.3/32\n" "$P1" >expect &&
	test_cmp expect got &&
	ip netns exec "$NC" wg show "${IF[carol]}" allowed-ips >got &&
	printf "%s\t10.8.0.1/32 10.8.0.2/32\n" "$P1" >expect &&
	test_cmp expect got &&
	test "$(ip netns exec "$NA" wg show "${IF[alice]}" peers | wc -l)" = 2
'

test_expect_success 'both dial alice (their keepalives): she knows where they are' '
	wait_for 15 has_handshake alice "$P2" &&
	wait_for 15 has_handshake alice "$PC"
'

test_expect_success 'bob and carol ping each other through alice' '
	ip netns exec "$NB" ping -c1 -W5 10.8.0.3 >/dev/null &&
	ip netns exec "$NC" ping -c1 -W5 10.8.0.2 >/dev/null
'

test_expect_success 'without forwarding on alice they cannot' '
	ip netns exec "$NA" sysctl -qw net.ipv4.ip_forward=0 &&
	test_must_fail ip netns exec "$NB" ping -c1 -W2 10.8.0.3 >/dev/null &&
	ip netns exec "$NA" sysctl -qw net.ipv4.ip_forward=1 &&
	ip netns exec "$NB" ping -c1 -W5 10.8.0.3 >/dev/null
'

test_expect_success 'anemone-probe on bob: alice direct, carol through alice' '
	ip netns exec "$NB" anemone-probe -P icmp -t 5 -c "$T/mesh.yaml" \
		"${IF[bob]}" >out 2>err &&
	test_must_be_empty err &&
	cut -f1,2,3,7,8,10,11 out >got &&
	printf "alice\t%s\t192.0.2.1:51820\t10.8.0.1\tok\tup\t-\n" "$P1" >expect &&
	printf "carol\t%s\t192.0.2.1:51820\t10.8.0.3\tok\tup\talice\n" "$PC" >>expect &&
	test_cmp expect got
'

test_expect_success 'the table says direct and via alice; a relayed peer can be named' '
	ip netns exec "$NB" anemone-probe -o table -P icmp -t 5 \
		-c "$T/mesh.yaml" "${IF[bob]}" carol >out &&
	head -1 out | grep -q "  PATH\$" &&
	sed -n 2p out | grep -q "^carol .*  up  *via alice\$" &&
	test "$(wc -l <out)" = 2 &&
	ip netns exec "$NB" anemone-probe -o table -P icmp -t 5 \
		-c "$T/mesh.yaml" "${IF[bob]}" alice | sed -n 2p | grep -q "  up  *direct\$"
'

test_expect_success 'prom: anemone_peer_relayed' '
	ip netns exec "$NB" anemone-probe -o prom -P none -c "$T/mesh.yaml" \
		"${IF[bob]}" >out &&
	grep "^anemone_peer_relayed{" out | sed "s/,public_key=\"[^\"]*\"//" >got &&
	printf "anemone_peer_relayed{interface=\"%s\",peer=\"%s\"} %s\n" \
		"${IF[bob]}" alice 0 "${IF[bob]}" carol 1 >expect &&
	test_cmp expect got
'

test_expect_success 'a second render | link changes nothing' '
	for n in alice bob carol; do
		anemone-render -n $n -k "$T/$n.key" "$T/mesh.yaml" |
			ip netns exec "${NS[$n]}" anemone-link -n "${IF[$n]}" >plan &&
		test_must_be_empty plan || return 1
	done
'

done_testing
