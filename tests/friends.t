#!/usr/bin/env bash
# anemone-push -r A -r B: one stream to two friends, each a real OpenSSH sshd in
# its own namespace (192.0.2.2 and 198.51.100.2, both reached from the
# client namespace): both get the snapshot from one read; a friend away
# or cut mid-way gives a partial result with exit 3 while the other gets
# it; the next run catches the missing friend up; a friend slowed by tbf
# is abandoned after -s with memory bounded; -b caps the total upload
# rate (measured).  anemone-push -C: a friend who was away and a new
# friend caught up by copy.  anemone-pull -r -r: a restore, a part
# restore, -t, -d and -H with one friend dead, and through a damaged pack
# at one friend (going on at the same byte from the other); -c names the
# damaged one and what each lacks.  anemone-pull -S: health in Prometheus
# text, exit 4 when stale, 1 when a friend is down.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
. "$TOP/tests/lib-sftp.sh"
require_cmd perl

sftp_setup
sshd_start 400m
URL1=$URL SRV1=$SRV
# the second friend: its own namespace and veth from the client
netns_new SV2
va=$(uniq_name va) vb=$(uniq_name vb)
ip link add "$va" netns "$CL" type veth peer name "$vb" netns "$SV2"
ip -n "$CL" addr add 198.51.100.1/24 dev "$va"
ip -n "$SV2" addr add 198.51.100.2/24 dev "$vb"
ip -n "$CL" link set "$va" up
ip -n "$SV2" link set "$vb" up
VETH2=$vb VA=$va
SV=$SV2 SSHD_ADDR=198.51.100.2 sshd_start 400m root host2
URL2=$URL SRV2=$SRV
{ SSHD_ADDR=192.0.2.2 known_host; SSHD_ADDR=198.51.100.2 known_host host2; } >"$KNOWN"

newkey "$T/k"
export ANEMONE_KEYFILE="$T/k"
mkdata "$T/a" 8 1
mkdata "$T/b" 8 2
head -c 40M /dev/urandom >"$T/big"
O="-i $KEY -o known_hosts=$KNOWN"
push() { on_client anemone-push "$@"; }
pull() { on_client anemone-pull "$@"; }

test_expect_success 'both friends get the snapshot from one read' '
	cat "$T/a" | push $O -r "$URL1" -r "$URL2" host1 >out 2>err &&
	test $(wc -l <out) = 2 &&
	grep -qxE "[0-9a-f]{16} $URL1" out &&
	grep -qxE "[0-9a-f]{16} $URL2" out &&
	grep -qx "anemone-push: host1: 2 of 2 repositories got the snapshot" err &&
	pull $O "$URL1" host1 | cmp - "$T/a" &&
	pull $O "$URL2" host1 | cmp - "$T/a" &&
	test $(ls "$SRV1/repo/packs" | wc -l) -ge 1 &&
	test $(ls "$SRV2/repo/packs" | wc -l) -ge 1
'

test_expect_success 'bad -r and -s: exit 2' '
	test_expect_code 2 push -s 0 -r "$URL1" -r "$URL2" x <"$T/a" 2>err &&
	echo "anemone-push: -s 0: seconds from 1 to 86400" >expect &&
	test_cmp expect err &&
	test_expect_code 2 push -r a -r b -r c -r d -r e -r f -r g -r h -r i x \
	    </dev/null 2>err &&
	echo "anemone-push: -r: at most 8 repositories" >expect &&
	test_cmp expect err &&
	test_expect_code 2 pull -r a -r b -r c -r d -r e -r f -r g -r h -r i x \
	    2>err &&
	echo "anemone-pull: -r: at most 8 repositories" >expect &&
	test_cmp expect err &&
	test_expect_code 2 push -r "$URL1" -r "$URL2" </dev/null 2>err &&
	grep -q "^usage: anemone-push" err
'

test_expect_success 'a friend away: the other gets it, exit 3, named' '
	test_when_finished "ip -n $SV2 link set $VETH2 up" &&
	ip -n "$SV2" link set "$VETH2" down &&
	test_expect_code 3 push $O -o timeout=3 -r "$URL1" -r "$URL2" host2 \
	    <"$T/b" >out 2>err &&
	grep -qxE "[0-9a-f]{16} $URL1" out && test $(wc -l <out) = 1 &&
	grep -q "^anemone-push: $URL2: " err &&
	grep -qx "anemone-push: host2: 1 of 2 repositories got the snapshot" err &&
	pull -l $O "$URL1" | cut -f2 | grep -qx host2
'

test_expect_success 'the next run catches the missing friend up' '
	wait_for 10 on_client bash -c "exec 3<>/dev/tcp/198.51.100.2/$SSHD_PORT" &&
	! pull -l $O "$URL2" | cut -f2 | grep -qx host2 &&
	push $O -r "$URL1" -r "$URL2" host2 <"$T/b" >out 2>err &&
	test $(wc -l <out) = 2 &&
	grep -q "^host2@[0-9a-f]*: $URL1: .* 0 of [0-9]* chunks new$" err &&
	pull $O "$URL2" host2 | cmp - "$T/b"
'

test_expect_success 'a friend cut mid-way: the other still gets it' '
	test_when_finished "ip -n $SV2 link set $VETH2 up" &&
	before=$(ls "$SRV2/repo/packs" | wc -l) &&
	{ push -q $O -o timeout=3 -r "$URL1" -r "$URL2" big <"$T/big" >out 2>err &
	  pid=$!; } &&
	wait_for 60 sh -c "test \$(ls $SRV2/repo/packs | wc -l) -ge $((before + 1))" &&
	ip -n "$SV2" link set "$VETH2" down &&
	rc=0 && { wait $pid || rc=$?; } &&
	test $rc = 3 &&
	grep -q "^anemone-push: $URL2: .*no answer from the server for 3 seconds" err &&
	pull $O "$URL1" big | cmp - "$T/big"
'

test_expect_success 'after the cut: the catch-up reuses what the friend has' '
	wait_for 10 on_client bash -c "exec 3<>/dev/tcp/198.51.100.2/$SSHD_PORT" &&
	push $O -r "$URL1" -r "$URL2" big <"$T/big" >out 2>err &&
	grep -qx "anemone-push: big: 2 of 2 repositories got the snapshot" err &&
	grep -q "^big@[0-9a-f]*: $URL2: .*, [1-9][0-9]* packs of an interrupted push reused$" err &&
	pull $O "$URL2" big | cmp - "$T/big" &&
	pull -c $O "$URL2"
'

test_expect_success 'copy: a friend who was away gets what it lacks, deduplicated' '
	test $(pull -l $O "$URL1" host2 | wc -l) = 2 &&
	test $(pull -l $O "$URL2" host2 | wc -l) = 1 &&
	push -C "$URL1" $O -r "$URL2" host2 >out 2>err &&
	test $(wc -l <out) = 1 &&
	grep -q "^host2@[0-9a-f]*: copied to $URL2: stored .*, 0 of [1-9][0-9]* chunks new$" err &&
	grep -qx "anemone-push: $URL2: 1 snapshots copied from $URL1" err &&
	pull -l $O "$URL1" host2 >want && pull -l $O "$URL2" host2 >got &&
	test_cmp want got &&
	push -C "$URL1" $O "$URL2" host2 >out 2>err &&
	test_cmp /dev/null out
'

test_expect_success 'copy: a new friend gets every snapshot, same ids and times' '
	URL3=${URL2}new &&
	push -q -C "$URL1" $O "$URL3" >out &&
	pull -l $O "$URL1" >want && pull -l $O "$URL3" >got &&
	test_cmp want got && test $(wc -l <got) = $(wc -l <out) &&
	pull $O "$URL3" big | cmp - "$T/big" &&
	pull -c $O -r "$URL1" -r "$URL3" 2>err &&
	printf "anemone-pull: %s: ok\n" "$URL1" "$URL3" >expect &&
	test_cmp expect err
'

test_expect_success 'copy: a source that is away, exit 1' '
	test_expect_code 1 push -C "${URL1%/repo}/nosuch" $O "$URL2" 2>err &&
	grep -q "^anemone-push: " err
'

test_expect_success 'restore with one friend dead: the other serves' '
	test_when_finished "ip -n $SV link set $VETH_B up" &&
	ip -n "$SV" link set "$VETH_B" down &&
	pull $O -o timeout=3 -r "$URL1" -r "$URL2" host1 >out 2>err &&
	cmp out "$T/a" &&
	grep -q "^anemone-pull: root@192.0.2.2:2222: " err &&
	pull -l $O -o timeout=3 -r "$URL1" -r "$URL2" host1 >list &&
	test $(wc -l <list) = 1
'

test_expect_success 'a tar snapshot at both: -t, -d, -H, part restore with one dead' '
	test_when_finished "ip -n $SV link set $VETH_B up" &&
	mkdir -p "$T/tree/d" && cp "$T/a" "$T/tree/d/a" && cp "$T/b" "$T/tree/b" &&
	touch -d @1700000000 "$T/tree/d" &&
	tar c -C "$T/tree" d b | push -q $O -r "$URL1" -r "$URL2" tree >out &&
	echo more >"$T/tree/d/c" &&
	touch -d @1700000000 "$T/tree/d" &&
	push -q $O -r "$URL1" -r "$URL2" tree -- tar c -C "$T/tree" d b >out &&
	test $(wc -l <out) = 2 &&
	ip -n "$SV" link set "$VETH_B" down &&
	R="-o timeout=3 -r $URL1 -r $URL2" &&
	pull -t $O $R tree >list 2>err &&
	cut -f8 list | sort >names &&
	printf "%s\n" b d/ d/a d/c >expect && test_cmp expect names &&
	grep -q "^anemone-pull: root@192.0.2.2:2222: " err &&
	pull $O $R tree d/a >part.tar 2>err &&
	tar xOf part.tar d/a | cmp - "$T/a" &&
	test "$(tar tf part.tar)" = d/a &&
	pull -l $O $R tree 2>/dev/null | cut -f1 >ids && test $(wc -l <ids) = 2 &&
	pull -d $O $R tree@$(head -n 1 ids) tree >diff 2>err &&
	printf "A\td/c\n" >expect && test_cmp expect diff &&
	pull -H $O $R tree d/c | cut -f1,3 >hist 2>err &&
	printf "tree@%s\tadded\n" $(sed -n 2p ids) >expect && test_cmp expect hist
'

test_expect_success 'a damaged pack at one friend: restored through the other' '
	wait_for 10 on_client bash -c "exec 3<>/dev/tcp/192.0.2.2/$SSHD_PORT" &&
	for f in "$SRV1"/repo/packs/*; do
		test $(stat -c %s "$f") -lt 6000000 ||
		printf XXXXXXXX | dd of="$f" bs=1 seek=5000000 conv=notrunc 2>/dev/null
	done &&
	test_expect_code 1 pull $O "$URL1" big >out 2>err &&
	grep -q "authentication failed" err &&
	pull $O -r "$URL1" -r "$URL2" big >out 2>err &&
	cmp out "$T/big" &&
	grep -q "^anemone-pull: going on after [1-9][0-9]* bytes from $URL2$" err &&
	test_expect_code 1 pull -c $O -r "$URL1" -r "$URL2" big 2>err &&
	grep -q "^anemone-pull: .*blob [0-9a-f]* in $URL1/packs/" err &&
	grep -qxE "anemone-pull: $URL2: lacks big@[0-9a-f]{16} \(at $URL1\)" err &&
	grep -qx "anemone-pull: 2 of 2 repositories unreachable, with problems or lacking snapshots" err
'

stored() {
	find "$1/repo/packs" "$1/repo/index" "$1/repo/snapshots" -type f \
	    ! -name ".*" -printf "%s\n" | awk "{ s += \$1 } END { print s }"
}

test_expect_success 'health: Prometheus text for both friends, exit 0' '
	pull -S $O -r "$URL1" -r "$URL2" >prom 2>err &&
	test_cmp /dev/null err &&
	grep -qx "anemone_up{repository=\"$URL1\"} 1" prom &&
	grep -qx "anemone_up{repository=\"$URL2\"} 1" prom &&
	grep -qx "anemone_stored_bytes{repository=\"$URL1\"} $(stored "$SRV1")" prom &&
	grep -qx "anemone_stored_bytes{repository=\"$URL2\"} $(stored "$SRV2")" prom &&
	grep -qx "anemone_snapshots{repository=\"$URL1\",name=\"host2\"} 2" prom &&
	grep -qx "anemone_snapshots{repository=\"$URL2\",name=\"host2\"} 2" prom &&
	grep -qx "anemone_newest_snapshot_size_bytes{repository=\"$URL1\",name=\"big\"} $(stat -c %s "$T/big")" prom &&
	t=$(sed -n "s/^anemone_newest_snapshot_timestamp_seconds{repository=\"${URL2//\//\\/}\",name=\"host1\"} //p" prom) &&
	test "$t" -gt $(($(date +%s) - 3600)) && test "$t" -le $(date +%s) &&
	test $(grep -c "^# TYPE .* gauge$" prom) = 5 &&
	pull -S -a 1d $O -r "$URL1" -r "$URL2" >/dev/null
'

test_expect_success 'health: stale or missing at a friend gives exit 4' '
	test_expect_code 4 pull -S -a 1s $O -r "$URL1" -r "$URL2" >/dev/null 2>err &&
	grep -q "^anemone-pull: $URL2: host1: newest snapshot [0-9]* s old (limit 1 s)$" err &&
	push -q $O "$URL1" fresh <"$T/a" >/dev/null &&
	test_expect_code 4 pull -S -a 1d $O -r "$URL1" -r "$URL2" >/dev/null 2>err &&
	echo "anemone-pull: $URL2: fresh: no snapshot" >expect &&
	test_cmp expect err &&
	pull -S -a 1d $O -r "$URL1" -r "$URL2" host1 >prom 2>err &&
	test_cmp /dev/null err && ! grep -q "name=\"fresh\"" prom &&
	test_expect_code 4 pull -S -a 1d $O -r "$URL1" -r "$URL2" nosuch >prom 2>err &&
	printf "anemone-pull: %s: nosuch: no snapshot\n" "$URL1" "$URL2" >expect &&
	test_cmp expect err &&
	test_expect_code 2 pull -S -a 3x $O "$URL1" 2>err &&
	echo "anemone-pull: -a 3x: an age like 90s, 30m, 12h or 3d (up to 3650d)" >expect &&
	test_cmp expect err
'

test_expect_success 'health: a friend down gives exit 1 and anemone_up 0' '
	test_when_finished "ip -n $SV2 link set $VETH2 up" &&
	ip -n "$SV2" link set "$VETH2" down &&
	test_expect_code 1 pull -S $O -o timeout=3 -r "$URL1" -r "$URL2" >prom 2>err &&
	grep -qx "anemone_up{repository=\"$URL2\"} 0" prom &&
	grep -qx "anemone_up{repository=\"$URL1\"} 1" prom
'

test_expect_success 'a slow friend (tbf on its link): abandoned after -s, memory bounded' '
	test_when_finished "tc -n $CL qdisc del dev $VA root 2>/dev/null; true" &&
	head -c 96M /dev/urandom >"$T/slowin" &&
	on_client /usr/bin/time -f "%M" -o "$T/rss-fast" \
	    anemone-push -q $O -r "$URL1" -r "$URL2" fast \
	    < <(head -c 96M /dev/urandom) >out &&
	test $(wc -l <out) = 2 &&
	tc -n "$CL" qdisc add dev "$VA" root tbf rate 2mbit burst 32k latency 2s &&
	t0=$(date +%s) &&
	test_expect_code 3 on_client /usr/bin/time -f "%M" -o "$T/rss" \
	    anemone-push -q $O -s 3 -r "$URL1" -r "$URL2" slow <"$T/slowin" >out 2>err &&
	t1=$(date +%s) &&
	grep -qxE "[0-9a-f]{16} $URL1" out && test $(wc -l <out) = 1 &&
	grep -qx "anemone-push: $URL2: too slow: no room for 3 s, abandoned (what it stored is reused by the next push)" err &&
	pull $O "$URL1" slow | cmp - "$T/slowin" &&
	fast=$(tail -n 1 "$T/rss-fast") slow=$(tail -n 1 "$T/rss") &&
	echo "# peak RSS: $slow KiB with a slow friend, $fast KiB with two fast ones (96 MiB stream); $((t1 - t0)) s" &&
	test "$slow" -lt $((fast + 48 * 1024)) &&
	test $((t1 - t0)) -lt 60
'

test_expect_success 'upload cap: -b holds across both friends within 10%' '
	head -c 6M /dev/urandom >"$T/rnd" &&
	b1=$(stored "$SRV1") && b2=$(stored "$SRV2") &&
	t0=$(date +%s%N) &&
	push -q -b 1M $O -r "$URL1" -r "$URL2" capped <"$T/rnd" >out &&
	t1=$(date +%s%N) &&
	test $(wc -l <out) = 2 &&
	sent=$(( $(stored "$SRV1") - b1 + $(stored "$SRV2") - b2 )) &&
	test $sent -gt $((12 << 20)) &&
	rate=$(( sent * 1000000000 / (t1 - t0) )) &&
	echo "# $sent bytes in $(( (t1 - t0) / 1000000 )) ms: $rate B/s (cap 1048576)" &&
	test $rate -ge $((1048576 * 9 / 10)) && test $rate -le $((1048576 * 11 / 10))
'

test_expect_success 'bad -b: exit 2' '
	test_expect_code 2 push -b 10 $O "$URL1" x </dev/null 2>err &&
	echo "anemone-push: -b 10: bytes per second like 500k, 2M or 1G (at least 1024)" >expect &&
	test_cmp expect err &&
	test_expect_code 2 push -b 2X $O "$URL1" x </dev/null 2>err &&
	test_expect_code 2 push -b M $O "$URL1" x </dev/null 2>err
'

done_testing
