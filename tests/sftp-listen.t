#!/usr/bin/env bash
# The backup account answers on the tunnel listener only.  A real sshd
# runs examples/sshd_config.d/anemone.conf as shipped, both listen lines
# (10.8.0.2:2222 and 0.0.0.0:22) kept, included first by a main config
# that lets root in by key everywhere, as on a Debian box.  Only the
# user, chroot and key file are substituted; the server's namespace holds
# the tunnel address 10.8.0.2 beside its "public" 192.0.2.2.  The backup
# key is served on 10.8.0.2:2222 and refused on 192.0.2.2:22 and on
# 10.8.0.2:22, although the main config's AuthorizedKeysFile would
# accept it there; root's login on port 22 still works.  A control run
# without the drop-in's last block shows the key getting in on port 22.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"
require_cmd ssh

sftp_setup
ip -n "$SV" addr add 10.8.0.2/24 dev "$VETH_B"
ip -n "$CL" addr add 10.8.0.1/24 dev "$VETH_A"
SSHD_ADDR=10.8.0.2
# known_hosts: port 22 is written without brackets
printf '%s %s\n' '10.8.0.2,192.0.2.2' "$(cut -d' ' -f1-2 "$T/keys/host.pub")" >"$KNOWN"
printf '[10.8.0.2]:2222 %s\n' "$(cut -d' ' -f1-2 "$T/keys/host.pub")" >>"$KNOWN"
SSH_OPTS="-i $KEY -o UserKnownHostsFile=$KNOWN -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10"
# sftp_ls ADDR PORT USER [DIR]: list DIR (/repo) with OpenSSH's own client
sftp_ls() { echo "ls -1 ${4:-/repo}" | on_client sftp -b - $SSH_OPTS -P "$2" "$3@$1"; }
login() { on_client ssh $SSH_OPTS -p "$2" "$3@$1" "${@:4}"; }

sshd_start 16m debian
mkdir -p "$SRV/chroot/repo/packs" && chown -R nobody: "$SRV/chroot/repo"

test_expect_success 'sshd listens on both lines of the drop-in' '
	ip netns exec "$SV" ss -Hltn | awk "{ print \$4 }" | sort >got &&
	printf "0.0.0.0:22\n10.8.0.2:2222\n" >expect &&
	test_cmp expect got
'

test_expect_success 'the tunnel listener serves the backup key (SFTP)' '
	sftp_ls 10.8.0.2 2222 nobody >out 2>err &&
	grep -qx "/repo/packs" out
'

refused() {
	test_expect_success "the backup key is refused on $1:$2" "
		test_expect_code 255 sftp_ls $1 $2 nobody >out 2>err &&
		grep -q 'no authentication methods enabled' err &&
		test_expect_code 255 login $1 $2 nobody true 2>err &&
		grep -q 'no authentication methods enabled' err &&
		grep -q 'No AuthenticationMethods left' '$T/sshd.log'
	"
}
refused 192.0.2.2 22
refused 10.8.0.2 22

test_expect_success 'ordinary ssh on port 22 still works (root, same key)' '
	login 192.0.2.2 22 root echo hello >out &&
	echo hello >expect && test_cmp expect out &&
	login 10.8.0.2 22 root echo hello >out &&
	test_cmp expect out
'

test_expect_success 'nothing listens on the public address at 2222' '
	test_must_fail on_client bash -c "exec 3<>/dev/tcp/192.0.2.2/2222"
'

sshd_stop

# The control: the same setup without the drop-in's last block lets the
# backup key in on port 22, so the tests above can fail.
mkdir -p "$T/mut/scripts" "$T/mut/examples/sshd_config.d"
cp "$TOP/scripts/friend-sshd.sh" "$T/mut/scripts/"
sed '/^Match User anemone$/,$d' "$TOP/examples/sshd_config.d/anemone.conf" \
	>"$T/mut/examples/sshd_config.d/anemone.conf"
TOP=$T/mut sshd_start 16m debian
mkdir -p "$SRV/chroot/repo/packs" && chown -R nobody: "$SRV/chroot/repo"

test_expect_success 'control: without the last block, port 22 lets the key in' '
	! grep -q "^Match User nobody\$" "$T/anemone.conf" &&
	test_expect_code 1 login 192.0.2.2 22 nobody true >out 2>&1 &&
	grep -q "This account is currently not available" out &&
	sftp_ls 192.0.2.2 22 nobody /mnt/chroot/repo >out &&
	grep -qx "/mnt/chroot/repo/packs" out
'

done_testing
