#!/usr/bin/env bash
# anemone-probe against a live mesh of wireguard-go devices in namespaces:
# bob up, carol's device removed (down despite a fresh handshake), dave
# never handshook.  Configured with wg setconf (the oracle).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-probe.sh"
require_root
require_cmd wireguard-go wg ip nc ss perl anemone-probe

probe_mesh || { echo "Bail out! cannot build the mesh"; exit 1; }
CONF=$T/wg0.conf
TO=2		# seconds per check: the answers take milliseconds
P() { ip netns exec "$NS_A" anemone-probe "$@"; }

test_expect_success 'all peers while the mesh is whole: TSV when piped' '
	test_expect_code 1 P -t "$TO" -c "$CONF" "$IF_A" >out 2>err &&
	test ! -s err &&
	mask_tsv <out >actual &&
	cat >expect <<-EOF &&
	bob	$PUB_B	192.0.2.2:51820	AGE	BYTES	BYTES	10.8.0.2	ok	RTT	up	-
	carol	$PUB_C	198.51.100.2:51820	AGE	BYTES	BYTES	10.8.0.3	ok	RTT	up	-
	dave	$PUB_D	198.51.100.2:51999	never	0	BYTES	10.8.0.4	timeout	-	down	-
	EOF
	test_cmp expect actual
'

# carol's namespace loses its WireGuard device; her wireguard-go exits
ip -n "$NS_C" link del "$IF_C"
wait_for 10 test ! -S "/var/run/wireguard/$IF_C.sock" ||
	{ echo "Bail out! wireguard-go in $NS_C did not exit"; exit 1; }

test_expect_success 'device removed: carol down though her handshake is fresh' '
	test_expect_code 1 P -t "$TO" -c "$CONF" "$IF_A" >out 2>err &&
	test ! -s err &&
	mask_tsv <out >actual &&
	cat >expect <<-EOF &&
	bob	$PUB_B	192.0.2.2:51820	AGE	BYTES	BYTES	10.8.0.2	ok	RTT	up	-
	carol	$PUB_C	198.51.100.2:51820	AGE	BYTES	BYTES	10.8.0.3	timeout	-	down	-
	dave	$PUB_D	198.51.100.2:51999	never	0	BYTES	10.8.0.4	timeout	-	down	-
	EOF
	test_cmp expect actual &&
	awk -F"\t" "\$1 == \"carol\" && \$4 < 180 { n++ } END { exit n != 1 }" out
'

test_expect_success 'TSV columns: age, counters and rtt are plain numbers' '
	P -t "$TO" -c "$CONF" "$IF_A" >out || :
	awk -F"\t" "
		NF != 11 { exit 1 }
		\$4 !~ /^([0-9]+|never)\$/ { exit 1 }
		\$5 !~ /^[0-9]+\$/ || \$6 !~ /^[0-9]+\$/ { exit 1 }
		\$9 !~ /^([0-9]+\\.[0-9]+|-)\$/ { exit 1 }
		\$10 !~ /^(up|down)\$/ { exit 1 }
		\$11 != \"-\" { exit 1 }
		{ n++ } END { exit n != 3 }" out
'

test_expect_success '-P none: the handshake rule (younger than 180 s)' '
	test_expect_code 1 P -P none -c "$CONF" "$IF_A" >out 2>err &&
	test ! -s err &&
	mask_tsv <out >actual &&
	cat >expect <<-EOF &&
	bob	$PUB_B	192.0.2.2:51820	AGE	BYTES	BYTES	10.8.0.2	skipped	-	up	-
	carol	$PUB_C	198.51.100.2:51820	AGE	BYTES	BYTES	10.8.0.3	skipped	-	up	-
	dave	$PUB_D	198.51.100.2:51999	never	0	BYTES	10.8.0.4	skipped	-	down	-
	EOF
	test_cmp expect actual
'

cat >"$T/icmp.expect" <<EOF
bob	$PUB_B	192.0.2.2:51820	AGE	BYTES	BYTES	10.8.0.2	ok	RTT	up	-
carol	$PUB_C	198.51.100.2:51820	AGE	BYTES	BYTES	10.8.0.3	timeout	-	down	-
dave	$PUB_D	198.51.100.2:51999	never	0	BYTES	10.8.0.4	timeout	-	down	-
EOF

test_expect_success '-P icmp, raw socket (ping sockets not allowed here)' '
	test "$(ip netns exec "$NS_A" sysctl -n net.ipv4.ping_group_range)" = "1	0" &&
	test_expect_code 1 P -P icmp -t "$TO" -c "$CONF" "$IF_A" >out 2>err &&
	test ! -s err &&
	mask_tsv <out >actual &&
	test_cmp icmp.expect actual
'

test_expect_success '-P icmp, unprivileged ping socket' '
	test_when_finished "ip netns exec $NS_A sysctl -qw net.ipv4.ping_group_range=\"1 0\"" &&
	ip netns exec "$NS_A" sysctl -qw net.ipv4.ping_group_range="0 2147483647" &&
	test_expect_code 1 P -P icmp -t "$TO" -c "$CONF" "$IF_A" >out 2>err &&
	test ! -s err &&
	mask_tsv <out >actual &&
	test_cmp icmp.expect actual
'

test_expect_success 'TCP reset: refused, so down (nothing serves that port)' '
	test_expect_code 1 P -p 2223 -t "$TO" -c "$CONF" "$IF_A" bob >out 2>err &&
	test ! -s err &&
	mask_tsv <out >actual &&
	cat >expect <<-EOF &&
	bob	$PUB_B	192.0.2.2:51820	AGE	BYTES	BYTES	10.8.0.2	refused	RTT	down	-
	EOF
	test_cmp expect actual
'

test_expect_success 'single peer by name: exit 0 for bob, 1 for carol' '
	test_expect_code 0 P -t "$TO" -c "$CONF" "$IF_A" bob >out &&
	test "$(cut -f1,10 out)" = "bob	up" &&
	test_expect_code 1 P -t "$TO" -c "$CONF" "$IF_A" carol >out &&
	test "$(cut -f1,10 out)" = "carol	down" &&
	test_expect_code 1 P -t "$TO" -c "$CONF" "$IF_A" dave bob >out &&
	printf "bob\tup\ndave\tdown\n" >expect &&
	cut -f1,10 out >actual &&
	test_cmp expect actual
'

test_expect_success 'single peer by public key, no config: no name' '
	test_expect_code 0 P -t "$TO" "$IF_A" "$PUB_B" >out &&
	test "$(cut -f1,2,10 out)" = "-	$PUB_B	up"
'

test_expect_success '-q: nothing printed, only the status' '
	test_expect_code 0 P -q -t "$TO" -c "$CONF" "$IF_A" bob >out 2>err &&
	test_expect_code 1 P -q -t "$TO" -c "$CONF" "$IF_A" >>out 2>>err &&
	test ! -s out && test ! -s err
'

test_expect_success '-o prom: Prometheus text format, parsed back' '
	test_expect_code 1 P -o prom -t "$TO" -c "$CONF" "$IF_A" >out 2>err &&
	test ! -s err &&
	prom_parse out >samples &&
	awk "{
		v = \$3
		if (\$1 ~ /timestamp/ && v > 1700000000) v = \"TIME\"
		else if (\$1 ~ /age_seconds/ && v >= 0 && v < 180) v = \"AGE\"
		else if (\$1 ~ /bytes_total/ && v > 0) v = \"BYTES\"
		else if (\$1 ~ /check_seconds/ && v > 0 && v < 1) v = \"SECS\"
		print \$1, \$2, v
	}" samples >actual &&
	cat >expect <<-EOF &&
	anemone_peer_up bob 1
	anemone_peer_up carol 0
	anemone_peer_up dave 0
	anemone_peer_last_handshake_timestamp_seconds bob TIME
	anemone_peer_last_handshake_timestamp_seconds carol TIME
	anemone_peer_last_handshake_timestamp_seconds dave 0
	anemone_peer_handshake_age_seconds bob AGE
	anemone_peer_handshake_age_seconds carol AGE
	anemone_peer_receive_bytes_total bob BYTES
	anemone_peer_receive_bytes_total carol BYTES
	anemone_peer_receive_bytes_total dave 0
	anemone_peer_transmit_bytes_total bob BYTES
	anemone_peer_transmit_bytes_total carol BYTES
	anemone_peer_transmit_bytes_total dave BYTES
	anemone_peer_check_seconds bob SECS
	anemone_peer_relayed bob 0
	anemone_peer_relayed carol 0
	anemone_peer_relayed dave 0
	EOF
	test_cmp expect actual &&
	grep -c "interface=\"$IF_A\"" out >count &&
	echo 18 >expect && test_cmp expect count
'

test_expect_success 'the Prometheus checker itself rejects bad text' '
	printf "anemone_peer_up{peer=\"x\"} 1\n" >bad1 &&
	test_must_fail prom_parse bad1 &&
	printf "# TYPE m gauge\nm{peer=\"x} 1\n" >bad2 &&
	test_must_fail prom_parse bad2 &&
	printf "# TYPE m gauge\nm{peer=\"x\"} 1\n" >good &&
	test "$(prom_parse good)" = "m x 1"
'

test_expect_success '-o table: aligned columns with a header' '
	test_expect_code 1 P -o table -t "$TO" -c "$CONF" "$IF_A" >out 2>err &&
	test ! -s err &&
	head -n1 out | grep -Eq "^PEER +ENDPOINT +HANDSHAKE +RX +TX +CHECK +STATUS +PATH\$" &&
	awk "NR > 1 { print \$1, \$(NF - 1), \$NF }" out >actual &&
	printf "bob up direct\ncarol down direct\ndave down direct\n" >expect &&
	test_cmp expect actual &&
	s=$(head -n1 out | awk "{ print index(\$0, \"STATUS\") }") &&
	awk -v s="$s" "NR > 1 && substr(\$0, s) !~ /^(up|down) +direct\$/ { exit 1 }" out
'

test_expect_success 'a terminal gets the table' '
	command -v script >/dev/null || exit 0
	script -qec "ip netns exec $NS_A anemone-probe -t $TO -c $CONF $IF_A" /dev/null >out </dev/null || :
	head -n1 out | grep -q "^PEER "
'

test_expect_success 'a peer without allowed IPs: noaddr, down' '
	k=$(wg genkey | wg pubkey) &&
	ip netns exec "$NS_A" wg set "$IF_A" peer "$k" &&
	test_when_finished "ip netns exec $NS_A wg set $IF_A peer $k remove" &&
	test_expect_code 1 P -t "$TO" "$IF_A" "$k" >out &&
	test "$(cut -f1,3,4,5,7,8,9,10 out)" = "-	-	never	0	-	noaddr	-	down"
'

test_expect_success 'names from an anemone.yaml, per-node form' '
	cat >a.yaml <<-EOF &&
	interface:
	  address: 10.8.0.1/24
	  private_key_file: /nonexistent/never-read.key
	peers:
	  - name: bob
	    public_key: "$PUB_B"
	    allowed_ips: 10.8.0.2/32
	  - name: carol
	    public_key: "$PUB_C"
	    allowed_ips: 10.8.0.3/32
	  - name: dave
	    public_key: "$PUB_D"
	    allowed_ips: 10.8.0.4/32
	EOF
	test_expect_code 1 P -P none -c a.yaml "$IF_A" >out 2>err &&
	test ! -s err &&
	printf "bob\t$PUB_B\ncarol\t$PUB_C\ndave\t$PUB_D\n" >expect &&
	cut -f1,2 out >actual &&
	test_cmp expect actual
'

test_expect_success 'names from a mesh file: this box is the node with its key' '
	cat >mesh.yml <<-EOF &&
	nodes:
	  - name: bob
	    public_key: "$PUB_B"
	    address: 10.8.0.2/24
	  - name: carol
	    public_key: "$PUB_C"
	    address: 10.8.0.3/24
	  - name: home
	    public_key: "$PUB_A"
	    address: 10.8.0.1/24
	  - name: dave
	    public_key: "$PUB_D"
	    address: 10.8.0.4/24
	EOF
	test_expect_code 0 P -P none -c mesh.yml "$IF_A" bob carol >out 2>err &&
	test ! -s err &&
	printf "bob\tup\ncarol\tup\n" >expect &&
	cut -f1,10 out >actual &&
	test_cmp expect actual &&
	test_expect_code 1 P -P none -c mesh.yml "$IF_A" dave >out &&
	test "$(cut -f1,10 out)" = "dave	down" &&
	grep -v -e home -e "$PUB_A" -e 10.8.0.1 mesh.yml >other.yml &&
	test_expect_code 2 P -c other.yml "$IF_A" >out 2>err &&
	test ! -s out &&
	echo "anemone-probe: other.yml: no node has the public key of $IF_A" >expect &&
	test_cmp expect err
'

test_expect_success 'bad YAML: exit 2, FILE:LINE:COL' '
	printf "peers:\n  - name: [\n" >bad.yaml &&
	test_expect_code 2 P -c bad.yaml "$IF_A" >out 2>err &&
	test ! -s out &&
	test $(wc -l <err) = 1 &&
	grep -q "^anemone-probe: bad.yaml:[0-9]*:[0-9]*: " err
'

test_expect_success 'no such interface: exit 2, one line, nothing on stdout' '
	test_expect_code 2 P nosuch0 >out 2>err &&
	test ! -s out &&
	echo "anemone-probe: nosuch0: no such WireGuard interface" >expect &&
	test_cmp expect err
'

test_expect_success 'no permission: exit 2, one line naming the socket' '
	command -v setpriv >/dev/null || exit 0
	test_expect_code 2 ip netns exec "$NS_A" setpriv --reuid=65534 \
		--regid=65534 --clear-groups anemone-probe "$IF_A" >out 2>err &&
	test ! -s out &&
	echo "anemone-probe: /var/run/wireguard/$IF_A.sock: Permission denied" >expect &&
	test_cmp expect err
'

test_expect_success 'unknown peer: exit 2, one line' '
	test_expect_code 2 P -c "$CONF" "$IF_A" zed >out 2>err &&
	test ! -s out &&
	echo "anemone-probe: $IF_A: no peer zed" >expect &&
	test_cmp expect err &&
	test_expect_code 2 P "$IF_A" bob >out 2>err &&
	echo "anemone-probe: $IF_A: no peer bob (names need -c FILE)" >expect &&
	test_cmp expect err
'

test_expect_success 'bad config: exit 2, FILE:LINE:COL, nothing on stdout' '
	printf "[Interface]\nListenPort = 99999\n" >bad.conf &&
	test_expect_code 2 P -c bad.conf "$IF_A" >out 2>err &&
	test ! -s out &&
	test $(wc -l <err) = 1 &&
	grep -q "^anemone-probe: bad.conf:2:[0-9]*: ListenPort" err &&
	test_expect_code 2 P -c "$T/missing.conf" "$IF_A" >out 2>err &&
	echo "anemone-probe: $T/missing.conf: No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success 'usage errors: exit 2' '
	test_expect_code 2 anemone-probe >out 2>err &&
	test ! -s out && grep -q "^usage: anemone-probe" err &&
	test_expect_code 2 anemone-probe -t 0 wg0 2>err &&
	echo "anemone-probe: -t 0: want seconds, more than 0 and at most 3600" >expect &&
	test_cmp expect err &&
	test_expect_code 2 anemone-probe -P udp wg0 2>err &&
	echo "anemone-probe: -P udp: want tcp, icmp or none" >expect &&
	test_cmp expect err &&
	test_expect_code 2 anemone-probe -p 0 wg0 2>err &&
	test_expect_code 2 anemone-probe -o json wg0 2>err &&
	test_expect_code 2 anemone-probe -x wg0 2>err
'

done_testing
