#!/bin/sh
# Runs inside the VM that tests/link-kernel.t boots (busybox sh, kernel
# WireGuard): anemone-link through generic netlink, wg showconf as the
# oracle.  Prints TAP between two marker lines on the console.
. ./lib-link.sh
link_keys
link_confs /t
I=wgk0
n=0

t() {
	n=$((n + 1))
	if (set -e; eval "$2") >/tmp/log 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/#    /' /tmp/log
	fi
}

# wg showconf, one line per section, sections sorted
state() {
	wg showconf "$1" | awk '/^\[/ { if (b != "") print b; b = $0; next }
		NF { b = b "|" $0 } END { print b }' | sort
}

echo
echo "@@ANEMONE-BEGIN@@"

t 'wireguard module loaded' 'test -d /sys/module/wireguard'

t 'dry run on a missing interface: the whole plan, nothing created' '
	anemone-link -n $I <a.conf >out 2>err
	cat >expect <<EOF
create	interface	$I
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
	diff expect out
	test ! -s err
	test ! -e /sys/class/net/$I
'

t 'apply creates a kernel WireGuard link, -v prints the same plan' '
	anemone-link -v $I <a.conf >out2 2>err
	diff out out2
	test ! -s err
	grep -qx DEVTYPE=wireguard /sys/class/net/$I/uevent
	test ! -e /var/run/wireguard/$I.sock
'

t 'wg showconf sees exactly the config' '
	state $I >actual
	cat >expect <<EOF
[Interface]|ListenPort = 51820|PrivateKey = $K1
[Peer]|PublicKey = $P4|AllowedIPs = 10.9.4.0/24|Endpoint = 192.0.2.4:51820|PersistentKeepalive = 30
[Peer]|PublicKey = $P3|AllowedIPs = 10.8.0.3/32|Endpoint = 192.0.2.3:51820
[Peer]|PublicKey = $P2|AllowedIPs = 10.8.0.2/32, 10.9.2.0/24|Endpoint = 192.0.2.2:51820
EOF
	diff expect actual
'

t 'address, MTU, link up and routes' '
	ip addr show dev $I | grep -q "inet 10.8.0.1/24 "
	test "$(cat /sys/class/net/$I/mtu)" = 1400
	test $(( $(cat /sys/class/net/$I/flags) & 1 )) = 1
	ip route show dev $I | sed "s/  */ /g; s/ $//" | sort >actual
	cat >expect <<EOF
10.8.0.0/24 dev wgk0 scope link src 10.8.0.1
10.9.2.0/24 dev wgk0 scope link
10.9.4.0/24 dev wgk0 scope link
EOF
	diff expect actual
'

t 're-apply unchanged: empty plan, state unchanged' '
	state $I >before
	anemone-link -v $I <a.conf >out 2>err
	test ! -s out
	test ! -s err
	state $I >after
	diff before after
'

t 'targeted change: dry run plan, then apply does exactly that' '
	anemone-link -n $I <a2.conf >plan
	cat >expect <<EOF
change	peer	$P3	name=carol endpoint=192.0.2.3:51820->192.0.2.33:51820
add	peer	$P5	name=erin endpoint=192.0.2.5:51820 allowed-ips=10.8.0.5/32,10.9.5.0/24 keepalive=25 preshared-key
remove	peer	$P4
add	address	fd00:8::1/64
remove	route	10.9.4.0/24
add	route	10.9.5.0/24
EOF
	diff expect plan
	anemone-link -v $I <a2.conf >out
	diff plan out
	state $I >actual
	cat >expect <<EOF
[Interface]|ListenPort = 51820|PrivateKey = $K1
[Peer]|PublicKey = $P3|AllowedIPs = 10.8.0.3/32|Endpoint = 192.0.2.33:51820
[Peer]|PublicKey = $P5|PresharedKey = $PSK|AllowedIPs = 10.8.0.5/32, 10.9.5.0/24|Endpoint = 192.0.2.5:51820|PersistentKeepalive = 25
[Peer]|PublicKey = $P2|AllowedIPs = 10.8.0.2/32, 10.9.2.0/24|Endpoint = 192.0.2.2:51820
EOF
	diff expect actual
	anemone-link -n $I <a2.conf >again
	test ! -s again
'

t '-d deletes the kernel link' '
	anemone-link -d $I >out 2>err
	test ! -s out
	test ! -s err
	test ! -e /sys/class/net/$I
'

t '1000 peers: several netlink messages each way' '
	anemone-link wgk1 <big.conf >out 2>err
	test ! -s out
	test ! -s err
	test "$(wg show wgk1 peers | wc -l)" = 1000
	test "$(wg show wgk1 allowed-ips | grep -c " fd00:")" = 1000
	anemone-link -n wgk1 <big.conf >out
	test ! -s out
	wg showconf wgk1 >before
	anemone-link wgk1 <big.conf
	wg showconf wgk1 >after
	diff before after
'

t '1000 peers: removing half of them' '
	awk "/^\[Peer\]/ { p++ } p <= 500" big.conf >half.conf
	anemone-link -n wgk1 <half.conf >plan
	test "$(grep -c "^remove	peer	" plan)" = 500
	test "$(wc -l <plan)" = 1500
	anemone-link wgk1 <half.conf
	test "$(wg show wgk1 peers | wc -l)" = 500
	anemone-link -n wgk1 <half.conf >again
	test ! -s again
	anemone-link -d wgk1
'

echo "@@ANEMONE-END@@ $n"
