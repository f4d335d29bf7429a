#!/usr/bin/env bash
# The SFTP store against a real OpenSSH sshd in a namespace: host keys,
# authentication, paths, the store's own tests, and faults (a killed
# server, a cut link, a full disk).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

B=$ANEMONE_BUILD/unit/sftp-store
[ -x "$B" ] || skip_all "no $B (make build-check)"
sftp_setup
sshd_start 400m
FP=$(ssh-keygen -lf "$T/keys/host.pub" | cut -d' ' -f2)
st() { on_client "$B" "$@"; }

test_expect_success 'an unknown host key is refused, with its fingerprint' '
	test_expect_code 1 st -k "$KNOWN" -i "$KEY" "$URL" open >out 2>err &&
	cat >expect <<-EOF &&
	sftp-store: root@192.0.2.2:2222: unknown host key ssh-ed25519 $FP (not in $KNOWN); check this fingerprint with the friend (ssh-keygen -lf on the server'"'"'s host key) and run again with -o accept-new
	EOF
	test_cmp expect err && test_cmp /dev/null out &&
	test_cmp /dev/null "$KNOWN"
'

test_expect_success 'the user known_hosts is the default' '
	test_expect_code 1 st -i "$KEY" "$URL" open 2>err &&
	grep -q "unknown host key ssh-ed25519 $FP (not in $HOME/.ssh/known_hosts)" err
'

test_expect_success 'accept-new adds the key; then it is trusted' '
	st -a -k "$KNOWN" -i "$KEY" "$URL" open >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err &&
	known_host >expect && test_cmp expect "$KNOWN" &&
	st -k "$KNOWN" -i "$KEY" "$URL" open
'

test_expect_success 'without -k: $HOME/.ssh/known_hosts, made by accept-new' '
	rm -rf "$HOME/.ssh" &&
	st -a -i "$KEY" "$URL" open &&
	known_host >expect && test_cmp expect "$HOME/.ssh/known_hosts" &&
	test "$(stat -c %a "$HOME/.ssh")" = 700 &&
	st -i "$KEY" "$URL" open
'

test_expect_success 'without -i: the default key in $HOME/.ssh' '
	cp "$KEY" "$HOME/.ssh/id_ed25519" &&
	test_when_finished "rm -f $HOME/.ssh/id_ed25519" &&
	SSH_AUTH_SOCK= st "$URL" open
'

test_expect_success 'a changed host key is refused, even with accept-new' '
	known_host host2 >k2 &&
	cp k2 k2.orig &&
	test_expect_code 1 st -a -k "$T/k2" -i "$KEY" "$URL" open 2>err &&
	cat >expect <<-EOF &&
	sftp-store: root@192.0.2.2:2222: HOST KEY CHANGED: the server presented ssh-ed25519 $FP, which is not the key $T/k2 holds for it; this may be an attack. If the friend really changed it, check the new fingerprint with them, then remove the old line (ssh-keygen -R '"'"'[192.0.2.2]:2222'"'"' -f $T/k2)
	EOF
	test_cmp expect err && test_cmp k2.orig k2
'

test_expect_success 'the store tests pass against the server' '
	on_client env ANEMONE_SFTP_URL="$URL" ANEMONE_SFTP_ID="$KEY" \
	    ANEMONE_SFTP_KNOWN_HOSTS="$KNOWN" "$B" >tap 2>&1 || { cat tap; exit 1; }
	! grep "^not ok" tap && grep -q "^1\.\.[1-9]" tap &&
	grep -q "4 threads put and get" tap
'

test_expect_success 'files are read-only and named only when complete' '
	echo hi >small &&
	st -k "$KNOWN" -i "$KEY" "$URL" put dir/one small &&
	test "$(stat -c %a "$SRV/repo/dir/one")" = 444 &&
	test_cmp small "$SRV/repo/dir/one" &&
	! ls -a "$SRV/repo/dir" | grep -q "^\.tmp-"
'

test_expect_success 'wrong user: one line' '
	test_expect_code 1 st -k "$KNOWN" -i "$KEY" sftp://nosuch@192.0.2.2:2222/mnt/repo open 2>err &&
	echo "sftp-store: nosuch@192.0.2.2:2222: permission denied: the server refused the key $KEY for user nosuch" >expect &&
	test_cmp expect err
'

test_expect_success 'wrong key: one line' '
	test_expect_code 1 st -k "$KNOWN" -i "$KEY2" "$URL" open 2>err &&
	echo "sftp-store: root@192.0.2.2:2222: permission denied: the server refused the key $KEY2 for user root" >expect &&
	test_cmp expect err
'

test_expect_success 'no usable default key: one line' '
	test_expect_code 1 env SSH_AUTH_SOCK= ip netns exec "$CL" "$B" -k "$KNOWN" "$URL" open 2>err &&
	echo "sftp-store: root@192.0.2.2:2222: permission denied: the server refused every default key and ssh-agent key for user root (use -i KEY)" >expect &&
	test_cmp expect err
'

test_expect_success 'a missing key file: one line' '
	test_expect_code 1 st -k "$KNOWN" -i "$T/nokey" "$URL" open 2>err &&
	echo "sftp-store: $T/nokey: No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success 'wrong path: one line' '
	test_expect_code 1 st -k "$KNOWN" -i "$KEY" sftp://root@192.0.2.2:2222/mnt/nope open 2>err &&
	echo "sftp-store: sftp://root@192.0.2.2:2222/mnt/nope: no such directory on the server" >expect &&
	test_cmp expect err
'

test_expect_success 'a path that is a file: one line' '
	test_expect_code 1 st -k "$KNOWN" -i "$KEY" sftp://root@192.0.2.2:2222/mnt/repo/dir/one/ open 2>err &&
	echo "sftp-store: sftp://root@192.0.2.2:2222/mnt/repo/dir/one: not a directory on the server" >expect &&
	test_cmp expect err
'

test_expect_success 'create makes the root directory' '
	st -c -k "$KNOWN" -i "$KEY" sftp://root@192.0.2.2:2222/mnt/new/deep/repo open &&
	test -d "$SRV/new/deep/repo"
'

test_expect_success 'nothing listening: one line' '
	test_expect_code 1 st -k "$KNOWN" -i "$KEY" sftp://root@192.0.2.2:2223/mnt/repo open 2>err &&
	echo "sftp-store: root@192.0.2.2:2223: cannot connect: Connection refused" >expect &&
	test_cmp expect err
'

test_expect_success 'a host that does not answer: bounded by the timeout' '
	SECONDS=0 &&
	test_expect_code 1 st -t 2 -k "$KNOWN" -i "$KEY" sftp://root@192.0.2.7/x open 2>err &&
	test $SECONDS -lt 10 &&
	grep -q "^sftp-store: root@192.0.2.7:22: cannot connect: " err
'

head -c 200M /dev/urandom >"$T/big"
echo before >"$T/before"
st -k "$KNOWN" -i "$KEY" "$URL" put keep/before "$T/before"

# put_under_way: the put's temporary file holds a MiB, so the server has
# answered its open and writes are flowing; waiting only for the file to
# exist raced the open's reply (the error then named the open, not the write)
put_under_way() {
	wait_for 30 sh -c "find $SRV/repo/keep -name \".tmp-*\" -size +1024k | grep -q ."
}

test_expect_success 'sshd killed in the middle of a put: exit 1 quickly' '
	SECONDS=0 &&
	{ st -t 5 -k "$KNOWN" -i "$KEY" "$URL" put keep/big "$T/big" 2>err & } &&
	pid=$! &&
	put_under_way &&
	kill -9 $(sshd_sessions) &&
	rc=0 && { wait $pid || rc=$?; } &&
	test $rc = 1 && test $SECONDS -lt 20 &&
	echo "sftp-store: root@192.0.2.2:2222: write: connection lost" >expect &&
	test_cmp expect err &&
	test ! -e "$SRV/repo/keep/big"
'

test_expect_success 'a cut link in the middle of a put: exit 1 within the timeout' '
	test_when_finished "ip -n $SV link set $VETH_B up" &&
	rm -f "$SRV"/repo/keep/.tmp-* &&
	SECONDS=0 &&
	{ st -t 3 -k "$KNOWN" -i "$KEY" "$URL" put keep/big "$T/big" 2>err & } &&
	pid=$! &&
	put_under_way &&
	ip -n "$SV" link set "$VETH_B" down &&
	rc=0 && { wait $pid || rc=$?; } &&
	test $rc = 1 && test $SECONDS -lt 20 &&
	echo "sftp-store: root@192.0.2.2:2222: write: no answer from the server for 3 seconds (connection timed out)" >expect &&
	test_cmp expect err &&
	test ! -e "$SRV/repo/keep/big"
'

test_expect_success 'afterwards: earlier files intact, the put completes' '
	wait_for 10 on_client bash -c "exec 3<>/dev/tcp/192.0.2.2/$SSHD_PORT" &&
	st -k "$KNOWN" -i "$KEY" "$URL" get keep/before >got &&
	test_cmp "$T/before" got &&
	st -k "$KNOWN" -i "$KEY" "$URL" put keep/big "$T/big" &&
	st -k "$KNOWN" -i "$KEY" "$URL" get keep/big >got &&
	cmp "$T/big" got && rm -f got &&
	printf "before\nbig\n" >expect &&
	st -k "$KNOWN" -i "$KEY" "$URL" ls keep >list && test_cmp expect list
'

test_expect_success 'a get with the link cut: exit 1 within the timeout' '
	test_when_finished "ip -n $SV link set $VETH_B up" &&
	SECONDS=0 &&
	{ st -t 3 -k "$KNOWN" -i "$KEY" "$URL" get keep/big >/dev/null 2>err & } &&
	pid=$! && sleep 0.3 &&
	ip -n "$SV" link set "$VETH_B" down &&
	rc=0 && { wait $pid || rc=$?; } &&
	test $rc = 1 && test $SECONDS -lt 20 &&
	grep -q "^sftp-store: root@192.0.2.2:2222: .*no answer from the server for 3 seconds (connection timed out)$" err
'
rm -f "$T/big"

# a small disk: the server's /mnt is a 24 MiB tmpfs
sshd_stop
sshd_start 24m
head -c 10M /dev/urandom >"$T/ten"

test_expect_success 'the disk fills up: a clear error, earlier files intact' '
	st -k "$KNOWN" -i "$KEY" "$URL" put a "$T/ten" &&
	st -k "$KNOWN" -i "$KEY" "$URL" put b "$T/ten" &&
	test_expect_code 1 st -k "$KNOWN" -i "$KEY" "$URL" put c "$T/ten" 2>err &&
	echo "sftp-store: $URL/c: the server'"'"'s disk is full (no space left for 10485760 bytes)" >expect &&
	test_cmp expect err &&
	test ! -e "$SRV/repo/c" &&
	! ls -a "$SRV/repo" | grep -q "^\.tmp-" &&
	st -k "$KNOWN" -i "$KEY" "$URL" get a >got && cmp "$T/ten" got &&
	st -k "$KNOWN" -i "$KEY" "$URL" get b >got && cmp "$T/ten" got
'

done_testing
