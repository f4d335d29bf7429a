#!/usr/bin/env bash
# The friend's side: sshd running exactly examples/sshd_config.d/anemone.conf
# (through scripts/friend-sshd.sh).  Pushes and pulls work through it; a
# client holding the backup key cannot delete, rename, overwrite, append
# to or change the mode of anything already stored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

B=$ANEMONE_BUILD/unit/sftp-store
[ -x "$B" ] || skip_all "no $B (make build-check)"
st() { on_client "$B" -k "$KNOWN" -i "$KEY" "$@"; }
# the repository's directories exist beforehand (see anemone.conf)
test_setup 'setup: the friend'"'"'s sshd, the repository'"'"'s directories' '
	sftp_setup &&
	sshd_start 64m friend &&
	R=$SRV/chroot/repo &&
	mkdir -p "$R/packs/ab" && chown -R nobody: "$R" &&
	on_client "$B" -a -k "$KNOWN" -i "$KEY" "$URL" open
'

test_expect_success 'the rendered config is the shipped one, substituted' '
	"$TOP/scripts/friend-sshd.sh" -a 192.0.2.2 -p 2222 -u nobody \
	    -r /mnt/chroot -k /mnt/etc/host -A /mnt/keys/nobody >conf &&
	sed -n "/^Match/,\$p" conf >got &&
	sed -n "/^Match/,\$p" "$TOP/examples/sshd_config.d/anemone.conf" |
	    sed -e "s|User anemone|User nobody|" \
	        -e "s|LocalAddress 10.8.0.2 LocalPort 2222|LocalAddress 192.0.2.2 LocalPort 2222|" \
	        -e "s|/etc/ssh/anemone_authorized_keys|/mnt/keys/nobody|" \
	        -e "s|/srv/anemone|/mnt/chroot|" >expect &&
	test_cmp expect got &&
	grep "^ListenAddress" conf >got &&
	printf "ListenAddress 192.0.2.2:2222\nListenAddress 0.0.0.0:22\n" >expect &&
	test_cmp expect got
'

test_setup 'setup: a pack and a config to store' '
	head -c 3M /dev/urandom >"$T/pack" &&
	echo "repository config" >"$T/config"
'

test_expect_success 'push and pull work through it' '
	st "$URL" put config "$T/config" &&
	st "$URL" put packs/ab/ab01 "$T/pack" &&
	st "$URL" get config >got && test_cmp "$T/config" got &&
	st "$URL" get packs/ab/ab01 >got && cmp "$T/pack" got &&
	printf "config\npacks\n" >expect &&
	st "$URL" ls "" >list && test_cmp expect list &&
	echo ab01 >expect &&
	st "$URL" ls packs/ab >list && test_cmp expect list
'

test_expect_success 'stored files are read-only, owned by the backup user' '
	test "$(stat -c "%a %U" "$R/config")" = "444 nobody" &&
	test "$(stat -c "%a %U" "$R/packs/ab/ab01")" = "444 nobody"
'

test_expect_success 'a second put of a name is refused, nothing changes' '
	echo other >other &&
	test_expect_code 1 st "$URL" put config other 2>err &&
	echo "sftp-store: $URL/config: file exists" >expect &&
	test_cmp expect err && test_cmp "$T/config" "$R/config"
'

test_expect_success 'a new directory is read-only: a clear error' '
	test_expect_code 1 st "$URL" put newdir/x "$T/config" 2>err &&
	echo "sftp-store: $URL/newdir/x: permission denied in the directory just created (on an append-only server every directory of the repository must exist before the first push)" >expect &&
	test_cmp expect err
'

# What an attacker holding the key tries, with OpenSSH's own sftp client.
sha() { (cd "$R" && find . -type f | sort | xargs sha256sum; find . | sort); }
test_setup 'setup: the repository as it stands, a file to smuggle' '
	head -c 100 /dev/urandom >"$T/evil" &&
	sha >"$T/before"
'
SFTP="sftp -b - -i $KEY -o UserKnownHostsFile=$KNOWN -o BatchMode=yes -P 2222 nobody@192.0.2.2"
attack() {
	local cmd=$1 want=$2
	test_expect_success "refused: $cmd" "
		echo '$cmd' | test_expect_code 1 on_client $SFTP >out 2>err &&
		grep -q '$want' err &&
		sha >now && test_cmp '$T/before' now
	"
}
attack 'rm /repo/config' 'remote delete "*/repo/config"*: Permission denied'
attack 'rm /repo/packs/ab/ab01' 'Permission denied'
attack 'rename /repo/config /repo/moved' 'Permission denied'
attack 'rename /repo/packs/ab/ab01 /repo/config' 'Permission denied'
attack 'chmod 644 /repo/config' 'remote setstat "/repo/config": Permission denied'
attack "put $T/evil /repo/config" 'dest open "/repo/config": Permission denied'
attack "put $T/evil /repo/packs/ab/ab01" 'Permission denied'
attack "reput $T/evil /repo/config" 'Permission denied'
attack 'ln /repo/packs/ab/ab01 /repo/config' 'remote link "/repo/packs/ab/ab01" to "/repo/config": Failure'
attack 'ln -s /repo/packs/ab/ab01 /repo/sym' 'Permission denied'
attack 'rmdir /repo/packs/ab' 'Permission denied'
attack 'rmdir /repo/newdir' 'Permission denied'
attack 'chmod 755 /repo/newdir' 'Permission denied'

test_expect_success 'still all there, and readable' '
	st "$URL" get config >got && test_cmp "$T/config" got &&
	st "$URL" get packs/ab/ab01 >got && cmp "$T/pack" got
'

done_testing
