#!/usr/bin/env bash
# anemone-push and anemone-pull with an sftp:// repository on a real
# OpenSSH sshd in a namespace: the options, round trips, a connection
# dropped in the middle of a push, a cut link, a full disk, and the
# friend's append-only configuration.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
. "$TOP/tests/lib-sftp.sh"
require_cmd perl

test_setup 'setup: namespaces, sshd, a repository key, inputs' '
	sftp_setup &&
	sshd_start 400m &&
	newkey "$T/k" &&
	export ANEMONE_KEYFILE="$T/k" &&
	mkdata "$T/a" 8 1 &&
	mkdata "$T/b" 8 2 &&
	head -c 60M /dev/urandom >"$T/big"
'
O="-i $KEY -o known_hosts=$KNOWN"
push() { on_client anemone-push "$@"; }
pull() { on_client anemone-pull "$@"; }

test_expect_success 'an unknown server is refused; accept-new takes it' '
	test_expect_code 1 push -q $O "$URL" host1 <"$T/a" >out 2>err &&
	fp=$(ssh-keygen -lf "$T/keys/host.pub" | cut -d" " -f2) &&
	echo "anemone-push: root@192.0.2.2:2222: unknown host key ssh-ed25519 $fp (not in $KNOWN); check this fingerprint with the friend (ssh-keygen -lf on the server'"'"'s host key) and run again with -o accept-new" >expect &&
	test_cmp expect err && test_cmp /dev/null out &&
	push $O -o accept-new "$URL" host1 <"$T/a" >id 2>err &&
	grep -qxE "[0-9a-f]{16}" id &&
	grep -qx "anemone-push: initialised a new repository at $URL" err &&
	known_host >expect && test_cmp expect "$KNOWN"
'

test_expect_success 'pull gives the exact stream back; list works' '
	pull $O "$URL" host1 >out 2>err &&
	cmp "$T/a" out && test_cmp /dev/null err &&
	pull -l $O "$URL" | cut -f1,2 >list &&
	printf "%s\thost1\n" "$(cat id)" >expect && test_cmp expect list
'

test_expect_success 'bad -o options: exit 2, one line' '
	test_expect_code 2 push $O -o timeout=0 "$URL" x <"$T/a" 2>err &&
	echo "anemone-push: -o timeout=0: timeout must be 1..3600 seconds" >expect &&
	test_cmp expect err &&
	test_expect_code 2 pull -o frobnicate "$URL" x 2>err &&
	echo "anemone-pull: -o frobnicate: unknown option (known: known_hosts=FILE, accept-new, timeout=SECONDS, no-cache)" >expect &&
	test_cmp expect err
'

test_expect_success 'wrong key, wrong path: one line, exit 1' '
	test_expect_code 1 pull -l -i "$KEY2" -o known_hosts="$KNOWN" "$URL" 2>err &&
	echo "anemone-pull: root@192.0.2.2:2222: permission denied: the server refused the key $KEY2 for user root" >expect &&
	test_cmp expect err &&
	test_expect_code 1 pull -l $O sftp://root@192.0.2.2:2222/mnt/nothere 2>err &&
	echo "anemone-pull: sftp://root@192.0.2.2:2222/mnt/nothere: no such directory on the server" >expect &&
	test_cmp expect err
'

test_expect_success 'an unchanged re-push adds no pack' '
	before=$(ls "$SRV/repo/packs" | wc -l) &&
	push -q $O "$URL" host1 <"$T/a" >id2 &&
	test $(ls "$SRV/repo/packs" | wc -l) = $before &&
	push -q $O "$URL" host2 <"$T/b" >id3 &&
	pull $O "$URL" host2 | cmp - "$T/b"
'

test_expect_success 'connection dropped mid-push: exit 1 quickly, nothing lost' '
	before=$(ls "$SRV/repo/packs" | wc -l) &&
	SECONDS=0 &&
	rm -f held && mkfifo held &&
	{ push -q $O -o timeout=5 "$URL" big <held >/dev/null 2>err & pid=$!; } &&
	test_when_finished "kill -9 $pid 2>/dev/null" &&
	exec 7>held && cat "$T/big" >&7 &&
	wait_for 60 sh -c "test \$(ls $SRV/repo/packs | wc -l) -ge $((before + 2))" &&
	kill -9 $(sshd_sessions) &&
	exec 7>&- &&
	rc=0 && { wait $pid || rc=$?; } &&
	test $rc = 1 && test $SECONDS -lt 30 &&
	grep -q "^anemone-push: .*connection lost" err &&
	test $(wc -l <err) = 1 &&
	pull -c $O "$URL" &&
	pull $O "$URL" host1 | cmp - "$T/a" &&
	pull $O "$URL" host2 | cmp - "$T/b" &&
	! pull -l $O "$URL" | grep -qP "\tbig\t"
'

test_expect_success 'the next push completes and reuses what was uploaded' '
	push $O "$URL" big <"$T/big" >idb 2>err &&
	sed -nE "s/.* ([0-9]+) of ([0-9]+) chunks new.*/\1 \2/p" err >counts &&
	read new all <counts &&
	test "$new" -lt "$all" &&
	pull $O "$URL" big | cmp - "$T/big"
'

test_expect_success 'a cut link mid-push: exit 1 within the timeout' '
	test_when_finished "ip -n $SV link set $VETH_B up" &&
	head -c 60M /dev/urandom >big2 &&
	before=$(ls "$SRV/repo/packs" | wc -l) &&
	{ push -q $O -o timeout=3 "$URL" big2 <big2 >/dev/null 2>err & pid=$!; } &&
	wait_for 60 sh -c "test \$(ls $SRV/repo/packs | wc -l) -ge $((before + 1))" &&
	SECONDS=0 &&
	ip -n "$SV" link set "$VETH_B" down &&
	rc=0 && { wait $pid || rc=$?; } &&
	test $rc = 1 && test $SECONDS -lt 15 &&
	grep -q "^anemone-push: .*no answer from the server for 3 seconds (connection timed out)$" err &&
	test $(wc -l <err) = 1
'

test_expect_success 'after the link is back: all snapshots intact' '
	wait_for 10 on_client bash -c "exec 3<>/dev/tcp/192.0.2.2/$SSHD_PORT" &&
	pull -c $O "$URL" &&
	pull $O "$URL" big | cmp - "$T/big"
'

# A 48 MiB disk on the server.
sshd_stop
sshd_start 48m
rm -f "$T/big"
head -c 64M /dev/urandom >"$T/noise"

test_expect_success 'the disk fills up: a clear error, earlier snapshots restorable' '
	push -q $O "$URL" small <"$T/a" >/dev/null &&
	test_expect_code 1 push -q $O "$URL" noise <"$T/noise" 2>err &&
	grep -q "^anemone-push: .*the server'"'"'s disk is full (no space left for [0-9]* bytes)$" err &&
	test $(wc -l <err) = 1 &&
	pull -c $O "$URL" &&
	pull $O "$URL" small | cmp - "$T/a" &&
	! pull -l $O "$URL" | grep -qP "\tnoise\t"
'

# The friend's append-only server: its directories made beforehand.
sshd_stop
sshd_start 200m friend
mkdir -p "$SRV/chroot/repo/packs" "$SRV/chroot/repo/index" "$SRV/chroot/repo/snapshots" &&
chown -R nobody: "$SRV/chroot/repo"

test_expect_success 'the friend configuration: push, push again, pull' '
	push -q $O "$URL" f1 <"$T/a" >/dev/null &&
	push -q $O "$URL" f2 <"$T/b" >/dev/null &&
	push -q $O "$URL" f1 <"$T/b" >/dev/null &&
	pull $O "$URL" f2 | cmp - "$T/b" &&
	pull -c $O "$URL" &&
	test "$(pull -l $O "$URL" | cut -f2 | sort | tr "\n" " ")" = "f1 f1 f2 " &&
	test -z "$(find "$SRV/chroot/repo" -type f ! -perm 0444)"
'

done_testing
