#!/usr/bin/env bash
# The whole story, each step asserted: three friends' boxes (home, alice,
# bob) in namespaces on one "internet" bridge; one shared mesh file built
# from examples/add-peer.sh entries; anemone-render | anemone-link on
# wireguard-go; probe; bob joins without disturbing home and alice;
# alice's sshd on her tunnel address with the shipped drop-in; backups
# pushed, deduplicated, restored; alice goes away and comes back; the
# nightly script runs against it all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-link.sh"
. "$(dirname "$0")/lib-sftp.sh"
. "$(dirname "$0")/lib-engine.sh"
require_root
require_cmd ip wireguard-go wg ping perl \
	anemone-keygen anemone-render anemone-link anemone-probe \
	anemone-push anemone-pull

# ---- the internet: a bridge in its own namespace, one veth per box ----
declare -A NS IF
test_setup 'setup: the internet, a bridge with one veth per box' '
	netns_new NET &&
	ip -n "$NET" link add br0 type bridge &&
	ip -n "$NET" link set br0 up &&
	n=0 &&
	for node in home alice bob; do
		n=$((n + 1)) &&
		netns_new "NS[$node]" &&
		IF[$node]=$(uniq_name e2) &&
		link_forget "${NS[$node]}" "${IF[$node]}" &&
		v=$(uniq_name ve) vb=$(uniq_name vb) &&
		ip link add "$v" netns "${NS[$node]}" type veth peer name "$vb" netns "$NET" &&
		ip -n "$NET" link set "$vb" master br0 up &&
		ip -n "${NS[$node]}" addr add "192.0.2.$n/24" dev "$v" &&
		ip -n "${NS[$node]}" link set "$v" up || return 1
	done &&
	mkdir -p "$T/home" "$T/alice" "$T/bob"
'

on() { # NODE CMD...: run CMD in NODE's namespace and folder
	local node=$1
	shift
	(cd "$T/$node" && ip netns exec "${NS[$node]}" "$@")
}

# the node's config from the shared mesh file, applied
relink() { # NODE
	on "$1" bash -o pipefail -c "umask 077; anemone-render -n $1 -k wg.key \
		../mesh.yaml | tee wg0.conf | anemone-link ${IF[$1]}"
}

# home-alice's latest handshake, as home sees it ("" if none)
handshake() { # NODE PEER
	on "$1" wg show "${IF[$1]}" latest-handshakes |
		awk -v k="$(cat "$T/$2/wg.pub")" '$1 == k { print $2 }'
}

test_expect_success 'keys for every box (anemone-keygen)' '
	for node in home alice bob; do
		on $node sh -c "umask 077; anemone-keygen >wg.key" &&
		on $node sh -c "anemone-keygen -p <wg.key >wg.pub" &&
		test $(wc -c <$node/wg.pub) = 45 || return 1
	done &&
	(umask 077; on home anemone-keygen -t repo >home/repo.key) &&
	mkdir -p keys &&
	anemone-keygen -t ssh -f keys/client -C home &&
	ssh-keygen -q -t ed25519 -N "" -C alice -f keys/host &&
	test -s keys/client.pub
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
	wait_for 20 on home ping -c 1 -W 1 10.8.0.2 &&
	on alice ping -c 1 -W 5 10.8.0.1 >/dev/null &&
	test -n "$(handshake home alice)" &&
	test "$(handshake home alice)" -gt 0
'

test_expect_success 'probe from home: alice up, exit 0' '
	on home anemone-probe -P icmp -t 5 -c wg0.conf "${IF[home]}" >out 2>err &&
	test_must_be_empty err &&
	cut -f1,3,7,8,10 out >got &&
	printf "alice\t192.0.2.2:51820\t10.8.0.2\tok\tup\n" >expect &&
	test_cmp expect got
'

# settled() NODE PEER: the latest handshake is over 6 s old, past
# WireGuard's 5 s retry, so that no handshake from the start-up (both
# sides may have begun one) is still on its way
settled() {
	local h
	h=$(handshake "$1" "$2")
	[ -n "$h" ] && [ $(($(date +%s) - h)) -gt 6 ]
}

test_expect_success 'bob joins: one new entry, every box re-rendered and re-linked' '
	wait_for 30 settled home alice &&
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

# alice greeted bob (persistent_keepalive) before bob was linked, so her
# handshake to him may be in WireGuard's 5 s retry: the ping waits
test_expect_success 'bob is reachable from home and from alice' '
	on home anemone-probe -P icmp -t 5 -c ../mesh.yaml "${IF[home]}" bob >out &&
	cut -f1,7,8,10 out >got &&
	printf "bob\t10.8.0.3\tok\tup\n" >expect &&
	test_cmp expect got &&
	wait_for 20 on alice ping -c 1 -W 1 10.8.0.3
'

# ---- backups through the tunnel, to alice's sshd with the shipped drop-in

SV=${NS[alice]} CL=${NS[home]} SSHD_ADDR=10.8.0.2
KEY=$T/keys/client
KNOWN=$T/keys/known_hosts
SFTP="-i $KEY -o known_hosts=$KNOWN"
test_setup 'setup: the data to back up' '
	mkdata "$T/data.bin" 8 1 &&
	mkdir -p "$T/data/photos" "$T/data/docs" &&
	split -b 1M -d "$T/data.bin" "$T/data/photos/img-" &&
	cp -a "$TOP/examples" "$T/data/docs/" &&
	rm "$T/data.bin"
'

push() { # NAME, stdin the stream
	on home anemone-push -k repo.key $SFTP "$URL" "$1"
}
pull() { on home anemone-pull -k repo.key $SFTP "$@"; }

# the repository's folders, made beforehand as the drop-in says
test_setup 'setup: alice'"'"'s sshd on her tunnel address, the repository' '
	sshd_start 256m friend &&
	mkdir -p "$SRV/chroot/repo/packs" "$SRV/chroot/repo/index" \
		"$SRV/chroot/repo/snapshots" &&
	chown -R nobody: "$SRV/chroot/repo" &&
	known_host >"$KNOWN"
'

test_expect_success 'alice serves SFTP on her tunnel address only' '
	on alice ss -Hltn "sport = :2222" | awk "{ print \$4 }" >got &&
	echo 10.8.0.2:2222 >expect &&
	test_cmp expect got &&
	test_must_fail on home bash -c "exec 3<>/dev/tcp/192.0.2.2/2222"
'

test_expect_success 'push through the tunnel; pull -l lists it' '
	tar -C data -cf - . | push home >id 2>err &&
	grep -qxE "[0-9a-f]{16}" id &&
	head -n 1 err >err1 &&
	echo "anemone-push: initialised a new repository at $URL" >expect &&
	test_cmp expect err1 &&
	pull -l "$URL" >list &&
	cut -f1,2,4 list >got &&
	printf "%s\thome\t%s\n" "$(cat id)" "$(tar -C data -cf - . | wc -c)" >expect &&
	test_cmp expect got
'

test_expect_success 'the same data again: no chunk is sent twice' '
	tar -C data -cf - . | push home >id2 2>err &&
	grep -qE "^home@$(cat id2): read [0-9.]+ MiB, stored [0-9]+ B, ratio [0-9.]+:1, 0 of [0-9]+ chunks new, [0-9.]+ s$" err &&
	test $(pull -l "$URL" | wc -l) = 2
'

test_expect_success 'pull | tar x restores every file' '
	mkdir restore &&
	pull "$URL" home | tar -C restore -xf - &&
	diff -r data restore &&
	(cd data && find . -type f | sort | xargs sha256sum) >a.sum &&
	(cd restore && find . -type f | sort | xargs sha256sum) >b.sum &&
	test_cmp a.sum b.sum
'

test_expect_success 'alice away: probe down (exit 1), push fails within its timeout' '
	on alice anemone-link -d "${IF[alice]}" &&
	test_expect_code 1 on home anemone-probe -P icmp -t 2 -c wg0.conf \
		"${IF[home]}" alice >out 2>err &&
	test_must_be_empty err &&
	cut -f1,10 out >got &&
	printf "alice\tdown\n" >expect &&
	test_cmp expect got &&
	test_expect_code 1 on home anemone-probe -q -P icmp -t 2 -c wg0.conf \
		"${IF[home]}" alice &&
	start=$(date +%s) &&
	tar -C data -cf - . >stream &&
	test_expect_code 1 on home anemone-push -k repo.key $SFTP -o timeout=5 \
		"$URL" home <stream >out 2>err &&
	elapsed=$(($(date +%s) - start)) &&
	test_must_be_empty out &&
	echo "anemone-push: nobody@10.8.0.2:2222: cannot connect: Connection timed out" >expect &&
	test_cmp expect err &&
	test "$elapsed" -lt 30
'

# alice keeps her side open (persistent_keepalive), so her box greets
# home as soon as it is back
test_expect_success 'alice comes back: probe up; a push reuses what she has' '
	relink alice &&
	on home anemone-probe -P icmp -t 5 -c wg0.conf "${IF[home]}" alice >out &&
	cut -f1,10 out >got &&
	printf "alice\tup\n" >expect &&
	test_cmp expect got &&
	echo "a new note" >data/docs/note.txt &&
	tar -C data -cf - . | push home >id3 2>err &&
	sed -n "s/^home@$(cat id3): .* \([0-9]*\) of \([0-9]*\) chunks new.*/\1 \2/p" err >counts &&
	read new total <counts &&
	test "$new" -ge 1 && test "$new" -le 5 && test "$total" -gt 50 &&
	pull "$URL" home@$(cat id3) | tar -C restore -xf - &&
	diff -r data restore
'

# the nightly script, configured for this setup
cat >"$T/backup.conf" <<EOF
IFACE=${IF[home]}
NAMES=$T/mesh.yaml
NAME=home-nightly
DATA=$T/data
KEYFILE=$T/home/repo.key
SSH_KEY=$KEY
KNOWN_HOSTS=$KNOWN
FRIENDS="alice=$URL"
EOF

test_expect_success 'examples/nightly-backup.sh: alice up, backed up' '
	ANEMONE_BACKUP_CONF=$T/backup.conf on home \
		sh "$TOP/examples/nightly-backup.sh" >out 2>err &&
	test_must_be_empty err &&
	pull -l "$URL" home-nightly | cut -f1,2 >got &&
	test $(wc -l <got) = 1 &&
	printf "alice: ok, snapshot home-nightly@%s\nhealth: ok, no snapshot older than 3d\n" \
		$(cut -f1 got) >expect &&
	test_cmp expect out &&
	mkdir nightly &&
	pull "$URL" home-nightly | tar -C nightly -xf - &&
	diff -r data "nightly${T}/data"
'

test_expect_success 'examples/nightly-backup.sh: a friend who is down fails the run, mailed' '
	mkdir -p bin &&
	printf "#!/bin/sh\necho \"\$*\" >%s/mail.out\ncat >>%s/mail.out\n" "$T" "$T" >bin/mail &&
	chmod +x bin/mail &&
	{ sed "s|^FRIENDS=.*|FRIENDS=\"alice=$URL bob=sftp://nobody@10.8.0.3:2222/repo\"|" \
		backup.conf && echo MAILTO=me@example.org &&
	  echo PROM=$T/anemone.prom; } >backup2.conf &&
	PATH=$T/bin:$PATH ANEMONE_BACKUP_CONF=$T/backup2.conf test_expect_code 1 on home \
		sh "$TOP/examples/nightly-backup.sh" >out 2>err &&
	test_must_be_empty err &&
	sed "s/@[0-9a-f]\{16\}\$/@ID/" out >got &&
	printf "bob: down, skipped\nalice: ok, snapshot home-nightly@ID\nhealth: ok, no snapshot older than 3d\n" >expect &&
	test_cmp expect got &&
	{ echo "-s anemone: backup of home-nightly failed me@example.org" && cat out; } >expect &&
	test_cmp expect mail.out &&
	grep -qx "anemone_up{repository=\"$URL\"} 1" anemone.prom &&
	grep -q "^anemone_snapshots{repository=\"$URL\",name=\"home-nightly\"} 2$" anemone.prom
'

test_expect_success 'examples/nightly-backup.sh: two friends up get one push' '
	URL2=${URL}2 &&
	mkdir -p "$SRV/chroot/repo2/packs" "$SRV/chroot/repo2/index" \
		"$SRV/chroot/repo2/snapshots" &&
	chown -R nobody: "$SRV/chroot/repo2" &&
	sed "s|^FRIENDS=.*|FRIENDS=\"alice=$URL alice=$URL2\"|" backup.conf >backup3.conf &&
	ANEMONE_BACKUP_CONF=$T/backup3.conf on home \
		sh "$TOP/examples/nightly-backup.sh" >out 2>err &&
	test_must_be_empty err &&
	test $(grep -c "^alice: ok, snapshot home-nightly@" out) = 2 &&
	test $(sort -u out | grep -c "^alice: ok") = 1 &&
	mkdir nightly2 && pull "$URL2" home-nightly | tar -C nightly2 -xf - &&
	diff -r data "nightly2${T}/data"
'

done_testing
