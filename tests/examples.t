#!/usr/bin/env bash
# examples/: the YAML files render as they are (with your own key in
# place), add-peer.sh's entry joins the mesh, the scripts parse.
. "$(dirname "$0")/lib.sh"
require_cmd anemone-render anemone-keygen wg

EX=$TOP/examples
umask 077

test_expect_success 'examples/config.yaml renders (key from -k)' '
	anemone-keygen >home.key &&
	anemone-render -k home.key "$EX/config.yaml" >out 2>err &&
	test_must_be_empty err &&
	cat >expect <<-EOF &&
	[Interface]
	Address = 10.8.0.1/24
	ListenPort = 51820
	PrivateKey = $(cat home.key)

	# alice
	[Peer]
	PublicKey = Ub5vaFchVo/1w+5T2KnKt5CndwvFbwM0t6w8kALFGQI=
	Endpoint = alice.example.org:51820
	AllowedIPs = 10.8.0.2/32

	# bob
	[Peer]
	PublicKey = JexmP75eZ880uYN03faIXEhLK+ybI3jhH4BY+pFK8i8=
	AllowedIPs = 10.8.0.3/32
	PersistentKeepalive = 25
	EOF
	test_cmp expect out
'

# The example's public keys have no private halves here: put ours in
# place of the node rendered, as a friend does with their own entry.
with_key() { # NODE KEYFILE: mesh.yaml with NODE's public key replaced
	local old new
	old=$(awk -v n="$1" '$2 == "name:" { hit = $3 == n }
		hit && $1 == "public_key:" { gsub(/"/, "", $2); print $2; exit }' "$EX/mesh.yaml")
	new=$(anemone-keygen -p <"$2")
	[ -n "$old" ] && sed "s|$old|$new|" "$EX/mesh.yaml"
}

test_expect_success 'examples/mesh.yaml renders for every node' '
	for n in home alice bob; do
		anemone-keygen >$n.key &&
		with_key $n $n.key >mesh-$n.yaml &&
		anemone-render -n $n -k $n.key mesh-$n.yaml >$n.conf 2>err &&
		test_must_be_empty err || return 1
	done &&
	cat >expect <<-EOF &&
	[Interface]
	Address = 10.8.0.3/24
	PrivateKey = $(cat bob.key)

	# home
	[Peer]
	PublicKey = z7lSRgT41Tqd5rYFYBE8kmuKLmHxSjnyNjfOn+E7Sgo=
	Endpoint = home.example.org:51820
	AllowedIPs = 10.8.0.1/32
	PersistentKeepalive = 25

	# alice
	[Peer]
	PublicKey = Ub5vaFchVo/1w+5T2KnKt5CndwvFbwM0t6w8kALFGQI=
	Endpoint = alice.example.org:51820
	AllowedIPs = 10.8.0.2/32
	PersistentKeepalive = 25
	EOF
	test_cmp expect bob.conf &&
	grep -c "^\[Peer\]" home.conf alice.conf >count &&
	printf "%s\n" home.conf:2 alice.conf:2 >expect &&
	test_cmp expect count
'

test_expect_success 'add-peer.sh: the new entry joins the mesh file' '
	anemone-keygen >carol.key &&
	anemone-keygen >home.key &&
	with_key home home.key >mesh.yaml &&
	"$EX/add-peer.sh" -n carol -k carol.key -a 10.8.0.4 \
		-e carol.example.org:51820 -l 51820 >entry 2>err &&
	test_must_be_empty err &&
	cat >expect <<-EOF &&
	  - name: carol
	    public_key: "$(anemone-keygen -p <carol.key)"
	    address: 10.8.0.4/32
	    endpoint: "carol.example.org:51820"
	    listen_port: 51820
	EOF
	test_cmp expect entry &&
	cat entry >>mesh.yaml &&
	anemone-render -n home -k home.key mesh.yaml >home.conf &&
	sed -n "/^# carol/,\$p" home.conf >carol-peer &&
	cat >expect <<-EOF &&
	# carol
	[Peer]
	PublicKey = $(anemone-keygen -p <carol.key)
	Endpoint = carol.example.org:51820
	AllowedIPs = 10.8.0.4/32
	EOF
	test_cmp expect carol-peer
'

test_expect_success 'add-peer.sh: bad name and missing arguments' '
	anemone-keygen >k &&
	test_expect_code 1 "$EX/add-peer.sh" -n "a b" -k k -a 10.8.0.9 >out 2>err &&
	test_must_be_empty out &&
	echo "add-peer.sh: a b: use letters, digits, '\''.'\'', '\''_'\'' and '\''-'\'' only" >expect &&
	test_cmp expect err &&
	test_expect_code 2 "$EX/add-peer.sh" -n x -k k >out 2>err &&
	test_must_be_empty out &&
	grep -q "^usage: add-peer.sh" err
'

test_expect_success 'the shell scripts parse' '
	sh -n "$EX/nightly-backup.sh" &&
	sh -n "$EX/add-peer.sh" &&
	sh -n "$EX/backup.conf"
'

test_expect_success 'crontab line and systemd units name the installed script' '
	grep -q "^17 3 \* \* \* root /usr/local/share/anemone/nightly-backup.sh$" "$EX/crontab" &&
	grep -q "^ExecStart=/usr/local/share/anemone/nightly-backup.sh$" "$EX/anemone-backup.service" &&
	grep -q "^OnCalendar=" "$EX/anemone-backup.timer"
'

test_expect_success 'the refresh lines of crontab and systemd are valid anemone-link usage' '
	c=$(sed -n "s|^\* \* \* \* \* root /usr/local/bin/anemone-link ||p" "$EX/crontab") &&
	s=$(sed -n "s|^ExecStart=/usr/local/bin/anemone-link ||p" "$EX/anemone-link-refresh.service") &&
	test -n "$c" && test "$c" = "$s" &&
	grep -qx "SuccessExitStatus=3" "$EX/anemone-link-refresh.service" &&
	grep -qx "OnUnitActiveSec=1min" "$EX/anemone-link-refresh.timer" &&
	# usage is exit 2; a missing config (this box has none) is exit 1
	test_expect_code 1 anemone-link $(echo "$c" | sed "s|/etc/anemone/wg0.conf|$T/none.conf|") 2>err &&
	grep -qx "anemone-link: $T/none.conf: No such file or directory" err
'

done_testing
