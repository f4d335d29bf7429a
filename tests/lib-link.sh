# tests/lib-link.sh: helpers for the anemone-link tests (source after lib.sh).
#
#   link_keys                 fixed test keys K1..K5 (private), P1..P5 (public)
#   wg_state NS IF            `wg showconf` with peer sections sorted
#   link_forget NS IF         at exit: delete IF in NS and its UAPI socket
#   veth_join N1 N2 A1 A2     one more veth between two test namespaces
#   with_hosts FILE CMD...    CMD with FILE as /etc/hosts (private mounts)
#   hs_age NS IF KEY          seconds since IF's handshake with peer KEY
#   link_confs DIR            write DIR/a.conf, b.conf (two ends of a tunnel)
#                             and a2.conf (a.conf after a targeted change)
#
# link_keys and link_confs also run inside the kernel test's VM (busybox sh).

WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD

link_keys() {
	K1=4C1b66jBSi5oRsN/YOVfIJMpWYF75olLsQC76xSFU0o=
	P1=HV0SfbG05A415KNHrX2pbpu1TjrZhk+P5PppfuvDFCI=
	K2=cKCOQusVn2uhvvxUu/o/d2pB/fCKDWM0YcAOC2RUhlk=
	P2=pOI6a68mOa9GoMF2OWU97DbFxt1IibXvUWXTFkppOWs=
	P3=FQoTyPg3/x8FSbaWypbYcbrjmr3oHdUkuk7gVdWbplo=
	P4=0NcghH6JPjuyaxxZ3qjPt0pNFcI2RCC/kto8b4LJ8Fc=
	P5=FdgTbDX7vpcPD9ZMAJl+635KwB/7K5sBf+if20PBFzA=
	PSK=wqF4O8EfYPOraqXjpLJOr2H8DsjgUJD2hO8ozLJgcAE=
}

wg_state() {
	ip netns exec "$1" wg showconf "$2" >"$T/.showconf" || return 1
	awk 'BEGIN { RS = ""; ORS = "\001" } { gsub("\n", "\002"); print }' \
		"$T/.showconf" | tr '\001' '\n' | sort |
		awk '{ gsub("\002", "\n"); print; print "" }'
}

link_forget() {
	at_exit "ip netns exec '$1' anemone-link -d '$2'; rm -f '/var/run/wireguard/$2.sock'"
}

link_confs() {
	cat >"$1/a.conf" <<EOF
[Interface]
PrivateKey = $K1
ListenPort = 51820
Address = 10.8.0.1/24
MTU = 1400

[Peer]
# bob
PublicKey = $P2
Endpoint = 192.0.2.2:51820
AllowedIPs = 10.8.0.2/32, 10.9.2.0/24

[Peer]
# carol
PublicKey = $P3
Endpoint = 192.0.2.3:51820
AllowedIPs = 10.8.0.3/32

[Peer]
# dave
PublicKey = $P4
Endpoint = 192.0.2.4:51820
AllowedIPs = 10.9.4.0/24
PersistentKeepalive = 30
EOF
	cat >"$1/b.conf" <<EOF
[Interface]
PrivateKey = $K2
ListenPort = 51820
Address = 10.8.0.2/24

[Peer]
PublicKey = $P1
Endpoint = 192.0.2.1:51820
AllowedIPs = 10.8.0.1/32
EOF
	# A after the change: carol moved, dave gone, erin new, an IPv6 address
	sed -e 's/192.0.2.3:51820/192.0.2.33:51820/' -e '/# dave/,$d' \
		-e 's|^Address = 10.8.0.1/24|Address = 10.8.0.1/24, fd00:8::1/64|' \
		"$1/a.conf" >"$1/a2.conf"
	cat >>"$1/a2.conf" <<EOF
# erin
PublicKey = $P5
PresharedKey = $PSK
Endpoint = 192.0.2.5:51820
AllowedIPs = 10.8.0.5/32, 10.9.5.0/24
PersistentKeepalive = 25
EOF
}

# veth_join NS1 NS2 ADDR1/LEN ADDR2/LEN: one more veth between two
# namespaces of the test, up, with these addresses
veth_join() {
	local v1 v2
	v1=$(uniq_name va)
	v2=$(uniq_name vb)
	ip link add "$v1" netns "$1" type veth peer name "$v2" netns "$2" ||
		return 1
	ip -n "$1" addr add "$3" dev "$v1" &&
	ip -n "$2" addr add "$4" dev "$v2" &&
	ip -n "$1" link set "$v1" up &&
	ip -n "$2" link set "$v2" up
}

# with_hosts FILE CMD...: run CMD with FILE as its /etc/hosts and a
# resolver that asks only 127.0.0.1 (no server there inside a test
# namespace), in a mount namespace of its own: the bind mounts are
# private to it, the host's /etc/hosts is never touched.  Put
# `ip netns exec NS` inside CMD, after this.
with_hosts() {
	local hosts=$1
	shift
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/.resolv"
	unshare -m --propagation private sh -c '
		mount --bind "$1" /etc/hosts &&
		mount --bind "$2" /etc/resolv.conf &&
		shift 2 && exec "$@"' with_hosts "$hosts" "$T/.resolv" "$@"
}

# hs_age NS IF KEY: seconds since IF's latest handshake with peer KEY
# (a large number when there was none)
hs_age() {
	local t
	t=$(ip netns exec "$1" wg show "$2" latest-handshakes | awk -v k="$3" '$1 == k { print $2 }')
	echo $(($(date +%s) - ${t:-0}))
}
