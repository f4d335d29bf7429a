#!/usr/bin/env bash
# anemone-link on wireguard-go in network namespaces: create, sync, dry
# run, targeted changes, delete; wg showconf and ip -j as oracles.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-link.sh"
require_root
require_cmd wireguard-go wg ip jq setpriv ping anemone-render unshare mount

test_setup 'setup: keys, two namespaces, configs' '
	link_keys &&
	netns_pair A B &&
	IA=$(uniq_name la) &&
	IB=$(uniq_name lb) &&
	link_forget "$A" "$IA" &&
	link_forget "$B" "$IB" &&
	link_confs "$T"
'

link() { ip netns exec "$1" anemone-link "${@:2}"; }
handshake() {
	ip netns exec "$A" wg show "$IA" latest-handshakes | grep "^$P2" | cut -f2
}

test_expect_success 'dry run on a missing interface prints the whole plan, changes nothing' '
	link "$A" -n "$IA" <a.conf >out 2>err &&
	cat >expect <<-EOF &&
	create	interface	$IA
	set	private-key	(public key $P1)
	set	listen-port	51820
	add	peer	$P3	name=carol endpoint=192.0.2.3:51820 allowed-ips=10.8.0.3/32 keepalive=0
	add	peer	$P2	name=bob endpoint=192.0.2.2:51820 allowed-ips=10.8.0.2/32,10.9.2.0/24 keepalive=0
	add	peer	$P4	name=dave endpoint=192.0.2.4:51820 allowed-ips=10.9.4.0/24 keepalive=30
	add	address	10.8.0.1/24
	set	mtu	1400
	set	link	up
	add	route	10.9.2.0/24
	add	route	10.9.4.0/24
	EOF
	test_cmp expect out &&
	test_cmp /dev/null err &&
	test_must_fail ip -n "$A" link show "$IA" &&
	test ! -e "/var/run/wireguard/$IA.sock"
'

test_expect_success 'apply creates a wireguard-go device; -v prints the same plan' '
	link "$A" -n "$IA" <a.conf >plan &&
	link "$A" -v "$IA" <a.conf >out 2>err &&
	test_cmp plan out &&
	test_cmp /dev/null err &&
	test -S "/var/run/wireguard/$IA.sock"
'

test_expect_success 'wg showconf sees exactly the config' '
	wg_state "$A" "$IA" >actual &&
	cat >expect <<-EOF &&
	[Interface]
	ListenPort = 51820
	PrivateKey = $K1

	[Peer]
	PublicKey = $P4
	AllowedIPs = 10.9.4.0/24
	Endpoint = 192.0.2.4:51820
	PersistentKeepalive = 30

	[Peer]
	PublicKey = $P3
	AllowedIPs = 10.8.0.3/32
	Endpoint = 192.0.2.3:51820

	[Peer]
	PublicKey = $P2
	AllowedIPs = 10.8.0.2/32, 10.9.2.0/24
	Endpoint = 192.0.2.2:51820

	EOF
	test_cmp expect actual
'

test_expect_success 'ip -j addr and route: address, MTU, up, routes outside the subnet' '
	ip -n "$A" -j addr show dev "$IA" |
		jq -r ".[0] | (.mtu|tostring), (.flags|index(\"UP\") != null|tostring),
		    (.addr_info[] | select(.scope != \"link\") | \"\(.local)/\(.prefixlen)\")" >actual &&
	printf "%s\n" 1400 true 10.8.0.1/24 >expect &&
	test_cmp expect actual &&
	ip -n "$A" -j route show dev "$IA" |
		jq -r ".[] | \"\(.dst) \(.protocol)\"" | sort >actual &&
	printf "%s\n" "10.8.0.0/24 kernel" "10.9.2.0/24 97" "10.9.4.0/24 97" >expect &&
	test_cmp expect actual
'

test_expect_success 'two namespaces ping each other through the tunnel' '
	link "$B" "$IB" <b.conf >out 2>err &&
	test_cmp /dev/null out &&
	test_cmp /dev/null err &&
	wait_for 10 ip netns exec "$A" ping -c1 -W1 10.8.0.2 &&
	ip netns exec "$B" ping -c1 -W2 10.8.0.1 &&
	test "$(handshake)" -gt 0
'

test_expect_success 're-apply unchanged: empty plan, nothing changes, handshake kept' '
	before=$(handshake) &&
	wg_state "$A" "$IA" >before &&
	sleep 1.1 &&
	link "$A" -v "$IA" <a.conf >out 2>err &&
	link "$A" -n "$IA" <a.conf >>out 2>>err &&
	link "$B" -v "$IB" <b.conf >>out 2>>err &&
	test_cmp /dev/null out &&
	test_cmp /dev/null err &&
	wg_state "$A" "$IA" >after &&
	test_cmp before after &&
	test "$(handshake)" = "$before"
'

test_expect_success 'targeted change: dry run plan' '
	link "$A" -n "$IA" <a2.conf >out 2>err &&
	cat >expect <<-EOF &&
	change	peer	$P3	name=carol endpoint=192.0.2.3:51820->192.0.2.33:51820
	add	peer	$P5	name=erin endpoint=192.0.2.5:51820 allowed-ips=10.8.0.5/32,10.9.5.0/24 keepalive=25 preshared-key
	remove	peer	$P4
	add	address	fd00:8::1/64
	remove	route	10.9.4.0/24
	add	route	10.9.5.0/24
	EOF
	test_cmp expect out &&
	test_cmp /dev/null err &&
	wg_state "$A" "$IA" >now &&
	test_cmp before now
' 

test_expect_success 'targeted change: apply does what the dry run said, bob untouched' '
	link "$A" -n "$IA" <a2.conf >plan &&
	before=$(handshake) &&
	link "$A" -v "$IA" <a2.conf >out 2>err &&
	test_cmp plan out &&
	test_cmp /dev/null err &&
	test "$(handshake)" = "$before" &&
	wg_state "$A" "$IA" >actual &&
	cat >expect <<-EOF &&
	[Interface]
	ListenPort = 51820
	PrivateKey = $K1

	[Peer]
	PublicKey = $P3
	AllowedIPs = 10.8.0.3/32
	Endpoint = 192.0.2.33:51820

	[Peer]
	PublicKey = $P5
	PresharedKey = $PSK
	AllowedIPs = 10.8.0.5/32, 10.9.5.0/24
	Endpoint = 192.0.2.5:51820
	PersistentKeepalive = 25

	[Peer]
	PublicKey = $P2
	AllowedIPs = 10.8.0.2/32, 10.9.2.0/24
	Endpoint = 192.0.2.2:51820

	EOF
	test_cmp expect actual &&
	{ ip -n "$A" -j route show dev "$IA"; ip -n "$A" -6 -j route show dev "$IA"; } |
		jq -r ".[] | select(.dst | startswith(\"fe80\") | not) |
		    \"\(.dst) \(.protocol)\"" | sort >actual &&
	printf "%s\n" "10.8.0.0/24 kernel" "10.9.2.0/24 97" "10.9.5.0/24 97" \
		"fd00:8::/64 kernel" >expect &&
	test_cmp expect actual &&
	ip netns exec "$A" ping -c1 -W2 10.8.0.2 &&
	link "$A" -n "$IA" <a2.conf >again &&
	test_cmp /dev/null again
'

test_expect_success 'going back removes what was added' '
	link "$A" -v "$IA" <a.conf >out &&
	test_cmp /dev/null err &&
	wg_state "$A" "$IA" >actual &&
	test_cmp before actual &&
	ip -n "$A" -j addr show dev "$IA" |
		jq -r ".[0].addr_info[] | select(.scope != \"link\") | .local" >actual &&
	echo 10.8.0.1 >expect &&
	test_cmp expect actual
'

test_expect_success '-d deletes the interface and stops wireguard-go' '
	pid=$(ip netns pids "$A" | head -n1) &&
	test -n "$pid" &&
	link "$A" -d "$IA" >out 2>err &&
	test_cmp /dev/null out &&
	test_cmp /dev/null err &&
	test_must_fail ip -n "$A" link show "$IA" &&
	test ! -e "/var/run/wireguard/$IA.sock" &&
	wait_for 5 test_must_fail kill -0 "$pid" &&
	test_expect_code 1 link "$A" -d "$IA" 2>err &&
	echo "anemone-link: $IA: no such interface" >expect &&
	test_cmp expect err
'

test_expect_success 'refuses a config through a symbolic link (it holds a key)' '
	ln -sf a.conf link.conf &&
	test_expect_code 1 link "$A" -n -f link.conf "$IA" >out 2>err &&
	echo "anemone-link: link.conf: is a symbolic link; refused for a file that may hold a key (name the file itself)" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out
'

test_expect_success 'no CAP_NET_ADMIN: one line, exit 1, nothing created' '
	test_expect_code 1 ip netns exec "$A" setpriv --inh-caps=-all \
		--bounding-set=-net_admin anemone-link "$IA" <a.conf >out 2>err &&
	echo "anemone-link: needs CAP_NET_ADMIN (run as root)" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	test_must_fail ip -n "$A" link show "$IA"
'

bad() {
	# bad NAME 'CONFIG TEXT' 'EXPECTED STDERR' (globals: the body runs now)
	BAD_CONF=$2 BAD_ERR=$3
	test_expect_success "bad input: $1" '
		printf "%s\n" "$BAD_CONF" >bad.conf &&
		test_expect_code 1 link "$A" -f bad.conf "$IA" >out 2>err &&
		printf "%s\n" "$BAD_ERR" >expect &&
		test_cmp expect err &&
		test_cmp /dev/null out &&
		test_must_fail ip -n "$A" link show "$IA" &&
		test ! -e "/var/run/wireguard/$IA.sock"
	'
}

for k in DNS Table PreUp PostUp PreDown PostDown SaveConfig; do
	bad "$k refused" "[Interface]
$k = x" "anemone-link: bad.conf:2:1: $k is a wg-quick setting that anemone-link does not act on (it never runs hooks, sets DNS, routing tables or saves the config); remove it"
done
bad 'key outside a section' 'ListenPort = 1' \
	'anemone-link: bad.conf:1:1: "ListenPort" outside a section (expected [Interface] or [Peer] first)'
bad 'unknown key' '[Interface]
Foo = 1' 'anemone-link: bad.conf:2:1: unknown key "Foo" in [Interface]'
bad 'bad private key' '[Interface]
PrivateKey = nope' 'anemone-link: bad.conf:2:14: PrivateKey: not a valid key (44 characters of base64)'
bad 'bad port' '[Interface]
ListenPort = 70000' 'anemone-link: bad.conf:2:14: ListenPort: expected a port number 0-65535'
bad 'bad MTU' '[Interface]
MTU = 9x' 'anemone-link: bad.conf:2:7: MTU: expected a number 68-65535'
bad 'bad address' '[Interface]
Address = 10.8.0.300/24' 'anemone-link: bad.conf:2:11: Address: bad IP address "10.8.0.300/24"'
bad 'peer without key' '[Interface]
[Peer]
AllowedIPs = 10.8.0.2/32' 'anemone-link: bad.conf:2:1: [Peer] has no PublicKey'
bad 'bad endpoint' "[Interface]
[Peer]
PublicKey = $P2
Endpoint = 192.0.2.2" 'anemone-link: bad.conf:4:12: Endpoint: bad endpoint "192.0.2.2" (want HOST:PORT)'
bad 'bad allowed IP' "[Interface]
[Peer]
PublicKey = $P2
AllowedIPs = 10.8.0.0/33" 'anemone-link: bad.conf:4:14: AllowedIPs: bad prefix length in "10.8.0.0/33" (want 0..32)'
bad 'duplicate peer' "[Interface]
[Peer]
PublicKey = $P2
[Peer]
PublicKey = $P2" "anemone-link: bad.conf:4:1: peer $P2 also at line 2"
bad 'no interface section' "[Peer]
PublicKey = $P2" 'anemone-link: bad.conf: no [Interface] section'
bad 'bad line' '[Interface]
just words' 'anemone-link: bad.conf:2:1: expected KEY = VALUE'

test_expect_success 'a missing -f file is one line, exit 1' '
	test_expect_code 1 link "$A" -f nosuch.conf "$IA" >out 2>err &&
	echo "anemone-link: nosuch.conf: No such file or directory" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out
'

test_expect_success 'bad input on stdin names <stdin>' '
	printf "[Interface]\nDNS = 1.1.1.1\n" |
		test_expect_code 1 link "$A" "$IA" >out 2>err &&
	echo "anemone-link: <stdin>:2:1: DNS is a wg-quick setting that anemone-link does not act on (it never runs hooks, sets DNS, routing tables or saves the config); remove it" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out
'

test_expect_success 'unresolvable endpoint: a warning names the peer, the rest is applied, exit 3' '
	printf "[Interface]\n[Peer]\n# zed\nPublicKey = %s\nEndpoint = no-such-host.invalid:51820\n" \
		"$P2" >bad.conf &&
	: >nohosts &&
	test_expect_code 3 with_hosts nohosts ip netns exec "$A" \
		anemone-link -f bad.conf "$IA" >out 2>err &&
	test_cmp /dev/null out &&
	test "$(wc -l <err)" = 1 &&
	grep "^anemone-link: warning: peer zed ($P2): cannot resolve no-such-host.invalid: .*; endpoint left as it is\$" err &&
	ip netns exec "$A" wg show "$IA" endpoints >actual &&
	printf "%s\t(none)\n" "$P2" >expect &&
	test_cmp expect actual &&
	link "$A" -d "$IA"
'

test_expect_success 'an interface that is not WireGuard is refused' '
	ip -n "$A" link add "$IA" type veth peer name "${IA}p" &&
	test_when_finished "ip -n \"$A\" link del \"$IA\"" &&
	test_expect_code 1 link "$A" "$IA" <a.conf >out 2>err &&
	echo "anemone-link: $IA: exists and is not a WireGuard interface" >expect &&
	test_cmp expect err &&
	test_expect_code 1 link "$A" -d "$IA" 2>err &&
	echo "anemone-link: $IA: not a WireGuard interface" >expect &&
	test_cmp expect err &&
	ip -n "$A" link show "$IA"
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 anemone-link 2>err &&
	test_expect_code 2 anemone-link -d -n x 2>>err &&
	test_expect_code 2 anemone-link -x wg0 2>>err &&
	test "$(grep -c "^usage: anemone-link" err)" = 3 &&
	test_expect_code 1 anemone-link -n "a/b" </dev/null 2>err &&
	echo "anemone-link: a/b: bad interface name" >expect &&
	test_cmp expect err
'

test_expect_success 'a failing userspace implementation is reported, nothing half-done' '
	test_expect_code 1 env WG_QUICK_USERSPACE_IMPLEMENTATION=false \
		ip netns exec "$A" anemone-link "$IA" <a.conf >out 2>err &&
	echo "anemone-link: $IA: false failed (exit status 1); applied: nothing; not applied: interface, keys and peers, addresses, MTU, link up, routes" >expect &&
	test_cmp expect err &&
	test_must_fail ip -n "$A" link show "$IA"
'

test_expect_success 'two namespaces configured only by anemone-render | anemone-link' '
	netns_pair R1 R2 &&
	I1=$(uniq_name lr) && I2=$(uniq_name lr) &&
	link_forget "$R1" "$I1" &&
	link_forget "$R2" "$I2" &&
	(umask 077 && echo "$K1" >k1.key && echo "$K2" >k2.key) &&
	cat >r1.yaml <<-EOF &&
	interface:
	  address: 10.8.0.1/24
	  listen_port: 51820
	  private_key_file: $T/k1.key
	peers:
	  - name: two
	    public_key: "$P2"
	    endpoint: "192.0.2.2:51820"
	    allowed_ips: 10.8.0.2/32
	EOF
	cat >r2.yaml <<-EOF &&
	interface:
	  address: 10.8.0.2/24
	  listen_port: 51820
	  private_key_file: $T/k2.key
	peers:
	  - name: one
	    public_key: "$P1"
	    endpoint: "192.0.2.1:51820"
	    allowed_ips: 10.8.0.1/32
	EOF
	anemone-render r1.yaml | ip netns exec "$R1" anemone-link "$I1" &&
	anemone-render r2.yaml | ip netns exec "$R2" anemone-link "$I2" &&
	wait_for 10 ip netns exec "$R1" ping -c1 -W1 10.8.0.2 &&
	ip netns exec "$R2" ping -c1 -W2 10.8.0.1 &&
	anemone-render r1.yaml | ip netns exec "$R1" anemone-link -n "$I1" >out &&
	test_cmp /dev/null out &&
	anemone-render r2.yaml | ip netns exec "$R2" anemone-link -v "$I2" >out &&
	test_cmp /dev/null out
'

test_expect_success 'failing midway says what was applied and what was not' '
	netns_new C &&
	ip netns exec "$C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 &&
	IC=$(uniq_name lc) &&
	link_forget "$C" "$IC" &&
	printf "[Interface]\nPrivateKey = %s\nAddress = 10.8.0.1/24, fd00:9::1/64\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.9.0.0/16\n" \
		"$K1" "$P2" >mid.conf &&
	test_expect_code 1 link "$C" "$IC" <mid.conf >out 2>err &&
	echo "anemone-link: $IC: adding address fd00:9::1/64: Permission denied (1 of 2 address changes were made); applied: interface, keys and peers; not applied: addresses, MTU, link up, routes" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	ip netns exec "$C" wg show "$IC" peers >actual &&
	echo "$P2" >expect &&
	test_cmp expect actual
'

done_testing
