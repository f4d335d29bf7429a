# tests/lib-probe.sh: a live WireGuard mesh for anemone-probe, sourced
# after tests/lib.sh.  Everything it creates is removed at exit.
#
#   wg_go VAR NS         start wireguard-go in namespace NS (foreground, so
#                        killed by PID); interface name in $VAR
#   probe_mesh           three namespaces joined by veths:
#                          $NS_A 192.0.2.1 (bob's side), 198.51.100.1
#                          $NS_B 192.0.2.2       bob,   tunnel 10.8.0.2
#                          $NS_C 198.51.100.2    carol, tunnel 10.8.0.3
#                        wireguard-go interfaces $IF_A $IF_B $IF_C, A at
#                        10.8.0.1/24 with peers bob, carol and dave (dave:
#                        10.8.0.4, a key with no device anywhere: it never
#                        handshakes); $T/wg0.conf is A's config with its
#                        "# name" comments; keys in $PUB_B $PUB_C $PUB_D.
#                        B and C listen on TCP port 2222.
#   prom_parse FILE      check FILE is Prometheus text format (every sample
#                        typed, labels well-formed); print one line per
#                        sample: "METRIC PEER VALUE"
#   mask_tsv             stdin -> stdout: probe TSV with the columns that
#                        vary from run to run replaced by AGE, BYTES, RTT

WG_ENV="WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 WG_PROCESS_FOREGROUND=1"

wg_go() {
	local var=$1 ns=$2 ifn pid
	ifn=$(uniq_name wg)
	at_exit "rm -f /var/run/wireguard/$ifn.sock"
	# shellcheck disable=SC2086
	spawn_bg pid ip netns exec "$ns" env $WG_ENV wireguard-go "$ifn" \
		>/dev/null 2>&1
	# the socket file appears before wireguard-go listens on it: wait
	# until the device answers, or wg falls back to netlink and fails
	wait_for 10 wg show "$ifn" listen-port || return 1
	printf -v "$var" '%s' "$ifn"
}

probe_mesh() {
	local ka kb kc kd va vc
	netns_pair NS_A NS_B || return 1
	netns_new NS_C || return 1
	va=$(uniq_name va)
	vc=$(uniq_name vc)
	ip link add "$va" netns "$NS_A" type veth peer name "$vc" \
		netns "$NS_C" || return 1
	ip -n "$NS_A" addr add 198.51.100.1/24 dev "$va"
	ip -n "$NS_C" addr add 198.51.100.2/24 dev "$vc"
	ip -n "$NS_A" link set "$va" up
	ip -n "$NS_C" link set "$vc" up

	ka=$(wg genkey) kb=$(wg genkey) kc=$(wg genkey) kd=$(wg genkey)
	PUB_A=$(printf '%s\n' "$ka" | wg pubkey)
	PUB_B=$(printf '%s\n' "$kb" | wg pubkey)
	PUB_C=$(printf '%s\n' "$kc" | wg pubkey)
	PUB_D=$(printf '%s\n' "$kd" | wg pubkey)

	wg_go IF_A "$NS_A" && wg_go IF_B "$NS_B" && wg_go IF_C "$NS_C" ||
		return 1

	cat >"$T/wg0.conf" <<-EOF
	[Interface]
	PrivateKey = $ka
	ListenPort = 51820

	[Peer]
	# bob
	PublicKey = $PUB_B
	Endpoint = 192.0.2.2:51820
	AllowedIPs = 10.8.0.2/32

	[Peer]
	# carol
	PublicKey = $PUB_C
	Endpoint = 198.51.100.2:51820
	AllowedIPs = 10.8.0.3/32

	[Peer]
	# dave
	PublicKey = $PUB_D
	Endpoint = 198.51.100.2:51999
	AllowedIPs = 10.8.0.4/32
	EOF
	_probe_node "$NS_A" "$IF_A" 10.8.0.1 "$T/wg0.conf" || return 1
	# bob and carol know only A, and learn its endpoint when it calls
	_probe_node "$NS_B" "$IF_B" 10.8.0.2 "$kb" || return 1
	_probe_node "$NS_C" "$IF_C" 10.8.0.3 "$kc" || return 1
	spawn_bg NC_B ip netns exec "$NS_B" nc -lk 2222 >/dev/null 2>&1
	spawn_bg NC_C ip netns exec "$NS_C" nc -lk 2222 >/dev/null 2>&1
	wait_for 10 _listening "$NS_B" && wait_for 10 _listening "$NS_C"
}

_listening() { ip netns exec "$1" ss -Hltn 'sport = :2222' | grep -q .; }

# _probe_node NS IF ADDR CONF|PRIVKEY: wg setconf (the oracle), address,
# up.  Given a private key, the config is one peer: A at 10.8.0.1.
_probe_node() {
	local conf=$4
	if [ ! -f "$conf" ]; then
		conf=$T/.conf.$2
		printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n' "$4" >"$conf"
		printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.0.1/32\n' "$PUB_A" >>"$conf"
	fi
	ip netns exec "$1" wg setconf "$2" "$conf" || return 1
	ip -n "$1" addr add "$3/24" dev "$2" || return 1
	ip -n "$1" link set "$2" up
}

prom_parse() {
	perl -e '
		my (%type, $bad);
		my $name = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
		my $lval = qr/"(?:[^"\\\n]|\\[\\"n])*"/;
		while (my $l = <STDIN>) {
			chomp $l;
			if ($l =~ /^# HELP ($name) \S.*$/) { next }
			if ($l =~ /^# TYPE ($name) (gauge|counter)$/) {
				die "line $.: $1 typed twice\n" if $type{$1}++;
				next;
			}
			$l =~ /^($name)\{((?:[a-zA-Z_]\w*=$lval)(?:,[a-zA-Z_]\w*=$lval)*)\} (-?[0-9]+(?:\.[0-9]+)?)$/
				or die "line $.: not a sample: $l\n";
			my ($m, $labels, $v) = ($1, $2, $3);
			die "line $.: $m has no TYPE before it\n" unless $type{$m};
			my %lab = $labels =~ /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;
			die "line $.: no peer label\n" unless defined $lab{peer};
			print "$m $lab{peer} $v\n";
		}' <"$1" || return 1
}

mask_tsv() {
	awk -F'\t' -v OFS='\t' '
		NF != 11 { print "BAD COLUMN COUNT " NF ": " $0; next }
		{
			if ($4 ~ /^[0-9]+$/) $4 = "AGE"
			if ($5 ~ /^[1-9][0-9]*$/) $5 = "BYTES"
			if ($6 ~ /^[1-9][0-9]*$/) $6 = "BYTES"
			if ($9 ~ /^[0-9]+\.[0-9][0-9][0-9]$/) $9 = "RTT"
			print
		}'
}
