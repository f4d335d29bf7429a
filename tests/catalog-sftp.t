#!/usr/bin/env bash
# Catalogues on an sftp:// repository (a real OpenSSH sshd in a
# namespace): -t, a part restore, diff and history, as on a local one.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
. "$TOP/tests/lib-sftp.sh"
. "$TOP/tests/lib-tree.sh"
require_cmd perl

sftp_setup
sshd_start 200m
newkey "$T/k"
export ANEMONE_KEYFILE="$T/k"
mktree "$T/tree"
cd "$T" || exit 1
tar -C tree --sort=name --format=pax -c . >s1.tar
echo changed >tree/dir/b.txt && touch -d '2024-06-01 01:02:03' tree/dir/b.txt
tar -C tree --sort=name --format=pax -c . >s2.tar
O="-i $KEY -o known_hosts=$KNOWN -o accept-new"
push() { on_client anemone-push "$@"; }
pull() { on_client anemone-pull "$@"; }

test_expect_success 'push two tar snapshots; -t lists what tar tv lists' '
	push -q $O "$URL" s <s1.tar >/dev/null &&
	push -q $O "$URL" s <s2.tar >/dev/null &&
	pull -t $O "$URL" s | tsv2tv >got &&
	tv <s2.tar >want && test_cmp want got
'

test_expect_success 'a part restore over sftp is the members of the stream' '
	pull $O "$URL" s dir/sub/big dir/b.txt >part.tar &&
	tar -tf part.tar >got &&
	printf "./dir/b.txt\n./dir/sub/big\n" >want && test_cmp want got &&
	mkdir x && tar -xf part.tar -C x &&
	cmp x/dir/sub/big tree/dir/sub/big && cmp x/dir/b.txt tree/dir/b.txt
'

test_expect_success 'diff and history over sftp' '
	pull -l $O "$URL" s | cut -f1 >ids &&
	pull -d $O "$URL" s@$(head -n 1 ids) s >got &&
	printf "M\t./dir/b.txt\tsize,mtime,content\n" >want &&
	test_cmp want got &&
	pull -H $O "$URL" s dir/b.txt | cut -f3 >got &&
	printf "added\nchanged\n" >want && test_cmp want got
'

done_testing
