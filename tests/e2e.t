#!/usr/bin/env bash
# The whole story, each step asserted: three friends' boxes (home, alice,
# bob) in namespaces on one "internet" bridge; one shared mesh file built
# from examples/add-peer.sh entries; anemone-render | anemone-link on
# wireguard-go; alice's sshd on her tunnel address with the shipped
# drop-in; backups pushed, deduplicated, restored; bob joins without
# disturbing home and alice; alice goes away and comes back; the nightly
# script runs against it all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-link.sh"
require_root
require_cmd ip wireguard-go wg ping \
	anemone-keygen anemone-render anemone-link anemone-probe

umask 077

# ---- the internet: a bridge in its own namespace, one veth per box ----
netns_new NET
ip -n "$NET" link add br0 type bridge
ip -n "$NET" link set br0 up
declare -A NS IF ADDR
n=0
for node in home alice bob; do
	n=$((n + 1))
	netns_new "NS[$node]"
	IF[$node]=$(uniq_name e2)
	ADDR[$node]=10.8.0.$n
	link_forget "${NS[$node]}" "${IF[$node]}"
	v=$(uniq_name ve) vb=$(uniq_name vb)
	ip link add "$v" netns "${NS[$node]}" type veth peer name "$vb" netns "$NET"
	ip -n "$NET" link set "$vb" master br0 up
	ip -n "${NS[$node]}" addr add "192.0.2.$n/24" dev "$v"
	ip -n "${NS[$node]}" link set "$v" up
done
mkdir -p "$T/home" "$T/alice" "$T/bob"

on() { # NODE CMD...: run CMD in NODE's namespace and folder
	local node=$1
	shift
	(cd "$T/$node" && ip netns exec "${NS[$node]}" "$@")
}

# the node's config from the shared mesh file, applied
relink() { # NODE
	on "$1" sh -c "anemone-render -n $1 -k wg.key ../mesh.yaml >wg0.conf &&
		anemone-link -f wg0.conf ${IF[$1]}"
}

# home-alice's latest handshake, as home sees it ("" if none)
handshake() { # NODE PEER
	on "$1" wg show "${IF[$1]}" latest-handshakes |
		awk -v k="$(cat "$T/$2/wg.pub")" '$1 == k { print $2 }'
}

test_expect_success 'keys for every box (anemone-keygen)' '
	for node in home alice bob; do
		on $node sh -c "anemone-keygen >wg.key && anemone-keygen -p <wg.key >wg.pub" &&
		test $(wc -c <$node/wg.pub) = 45 || return 1
	done &&
	on home anemone-keygen -t repo >home/repo.key &&
	on home anemone-keygen -t ssh -f id_anemone -C home &&
	test -s home/id_anemone.pub
'

test_expect_success 'the mesh file: one add-peer.sh entry per friend' '
	echo "nodes:" >mesh.yaml &&
	on home "$TOP/examples/add-peer.sh" -n home -k wg.key -a 10.8.0.1/24 \
		-e 192.0.2.1:51820 -l 51820 >>mesh.yaml &&
	on alice "$TOP/examples/add-peer.sh" -n alice -k wg.key -a 10.8.0.2/24 \
		-e 192.0.2.2:51820 -l 51820 -K 25 >>mesh.yaml &&
	cat >expect <<-EOF &&
	nodes:
	  - name: home
	    public_key: "$(cat home/wg.pub)"
	    address: 10.8.0.1/24
	    endpoint: "192.0.2.1:51820"
	    listen_port: 51820
	  - name: alice
	    public_key: "$(cat alice/wg.pub)"
	    address: 10.8.0.2/24
	    endpoint: "192.0.2.2:51820"
	    listen_port: 51820
	    persistent_keepalive: 25
	EOF
	test_cmp expect mesh.yaml
'

test_expect_success 'home and alice: render | link, the tunnel carries traffic' '
	relink home && relink alice &&
	on home ping -c 1 -W 5 10.8.0.2 >/dev/null &&
	on alice ping -c 1 -W 5 10.8.0.1 >/dev/null &&
	test -n "$(handshake home alice)" &&
	test "$(handshake home alice)" -gt 0
'

test_expect_success 'probe from home: alice up, exit 0' '
	on home anemone-probe -P icmp -c wg0.conf "${IF[home]}" >out 2>err &&
	test_must_be_empty err &&
	cut -f1,3,7,8,10 out >got &&
	printf "alice\t192.0.2.2:51820\t10.8.0.2\tok\tup\n" >expect &&
	test_cmp expect got
'

test_expect_success 'bob joins: one new entry, every box re-rendered and re-linked' '
	before=$(handshake home alice) &&
	on bob "$TOP/examples/add-peer.sh" -n bob -k wg.key -a 10.8.0.3/24 \
		-e 192.0.2.3:51820 -l 51820 >>mesh.yaml &&
	test $(grep -c "^  - name: " mesh.yaml) = 3 &&
	relink home && relink alice && relink bob &&
	after=$(handshake home alice) &&
	test "$before" = "$after" &&
	for node in home alice bob; do
		test $(on $node wg show "${IF[$node]}" peers | wc -l) = 2 || return 1
	done
'

test_expect_success 'bob is reachable from home and from alice' '
	on home anemone-probe -P icmp -c wg0.conf "${IF[home]}" bob >out &&
	cut -f1,7,8,10 out >got &&
	printf "bob\t10.8.0.3\tok\tup\n" >expect &&
	test_cmp expect got &&
	on alice ping -c 1 -W 5 10.8.0.3 >/dev/null
'

test_expect_success 'alice goes away: probe says down, exit 1' '
	on alice anemone-link -d "${IF[alice]}" &&
	test_expect_code 1 on home anemone-probe -P icmp -t 2 -c wg0.conf \
		"${IF[home]}" alice >out 2>err &&
	test_must_be_empty err &&
	cut -f1,10 out >got &&
	printf "alice\tdown\n" >expect &&
	test_cmp expect got &&
	test_expect_code 1 on home anemone-probe -q -P icmp -t 2 -c wg0.conf \
		"${IF[home]}" alice
'

# alice keeps her side open (persistent_keepalive), so her box greets
# home as soon as it is back
test_expect_success 'alice comes back: probe up' '
	relink alice &&
	on home anemone-probe -P icmp -t 5 -c wg0.conf "${IF[home]}" alice >out &&
	cut -f1,10 out >got &&
	printf "alice\tup\n" >expect &&
	test_cmp expect got
'

done_testing
