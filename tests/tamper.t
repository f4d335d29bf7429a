#!/usr/bin/env bash
# Restore guarantees: each kind of damage to a repository is detected,
# named, and fails with a non-zero status; nothing is silently wrong.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
require_cmd perl

test_setup 'setup: two repositories holding the same 20 MiB' '
	newkey "$T/k" &&
	export ANEMONE_KEYFILE="$T/k" &&
	mkdata "$T/a" 20 3 &&
	(cd "$T" && anemone-push -q good h <a >id && anemone-push -q other h <a >oid)
'

# fresh copy of the good repository in $T/r
# a copy of the pristine repository, and no metadata cache (a cached copy
# of a file damaged here would be used, and rightly so)
fresh() { rm -rf "$T/r" "$XDG_CACHE_HOME" && cp -a "$T/good" "$T/r"; }
pack1() { ls "$T/r/packs" | head -n 1; }
pack2() { ls "$T/r/packs" | sed -n 2p; }
flip() { # flip one byte of FILE at OFFSET
	perl -e 'open(F, "+<", $ARGV[0]) or die; seek(F, $ARGV[1], 0);
		read(F, $b, 1); seek(F, $ARGV[1], 0); print F chr(ord($b) ^ 1);' "$1" "$2"
}

test_expect_success 'the untouched copy restores and verifies' '
	fresh && anemone-pull r h | cmp - a && anemone-pull -c r
'

test_expect_success 'a flipped byte in a pack: named, pull and verify fail' '
	fresh && p=$(pack1) && flip r/packs/$p 1000 &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	grep -E "^anemone-pull: snapshot h@$(cat id): (blob|chunk list) [0-9a-f]{64} in r/packs/$p: authentication failed \(damaged, moved, or swapped with another object\)$" err &&
	test_expect_code 1 anemone-pull -c r >out 2>err &&
	test ! -s out &&
	grep -E "^anemone-pull: snapshot h@$(cat id): (blob|chunk list) [0-9a-f]{64} in r/packs/$p: authentication failed" err &&
	tail -n 1 err >last && echo "anemone-pull: r: problems found" >expect &&
	test_cmp expect last
'

test_expect_success 'a truncated pack' '
	fresh && p=$(pack1) && truncate -s 100000 r/packs/$p &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	grep -E "^anemone-pull: snapshot h@$(cat id): (blob|chunk list) [0-9a-f]{64}: r/packs/$p: truncated \(short read at offset [0-9]+\)$" err
'

test_expect_success 'a missing pack' '
	fresh && p=$(pack2) && rm r/packs/$p &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	grep -E "^anemone-pull: snapshot h@$(cat id): (blob|chunk list) [0-9a-f]{64}: r/packs/$p: missing$" err
'

test_expect_success 'two packs swapped' '
	fresh && p=$(pack1) && q=$(pack2) &&
	mv r/packs/$p r/tmp && mv r/packs/$q r/packs/$p && mv r/tmp r/packs/$q &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	grep -E "^anemone-pull: snapshot h@$(cat id): (blob|chunk list) [0-9a-f]{64}( in r/packs/[0-9a-f]{64})?: " err &&
	test_expect_code 1 anemone-pull -c r 2>err
'

test_expect_success 'two segments of one pack swapped in place' '
	fresh && p=$(pack1) &&
	perl -e "open(F, \"+<\", \$ARGV[0]) or die; read(F, \$a, 4096); read(F, \$b, 4096);
		seek(F, 0, 0); print F \$b, \$a;" r/packs/$p &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	grep -E "^anemone-pull: snapshot h@$(cat id): (blob|chunk list) [0-9a-f]{64} in r/packs/$p: authentication failed" err
'

test_expect_success 'a damaged index file' '
	fresh && i=$(ls r/index | head -n 1) && flip r/index/$i 50 &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	echo "anemone-pull: r/index/$i: authentication failed (damaged, renamed, or from another repository)" >expect &&
	test_cmp expect err
'

test_expect_success 'a missing index: blobs are missing, by name' '
	fresh && rm r/index/* &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	grep -E "^anemone-pull: snapshot h@$(cat id): chunk list [0-9a-f]{64}: missing \(no index names it\)$" err
'

test_expect_success 'a flipped byte in a snapshot record' '
	fresh && flip r/snapshots/$(cat id) 60 &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	echo "anemone-pull: r/snapshots/$(cat id): snapshot record authentication failed (damaged, renamed, or from another repository)" >expect &&
	test_cmp expect err && test ! -s out
'

test_expect_success 'a snapshot record copied from another repository' '
	fresh && cp other/snapshots/$(cat oid) r/snapshots/ &&
	test_expect_code 1 anemone-pull r h@$(cat oid) >out 2>err &&
	echo "anemone-pull: r/snapshots/$(cat oid): snapshot record copied from another repository" >expect &&
	test_cmp expect err &&
	test_expect_code 1 anemone-pull -l r >out 2>err &&
	test_cmp expect err
'

test_expect_success 'a snapshot record replayed under another name' '
	fresh && n=0123456789abcdef && cp r/snapshots/$(cat id) r/snapshots/$n &&
	test_expect_code 1 anemone-pull r h@$n >out 2>err &&
	echo "anemone-pull: r/snapshots/$n: snapshot record of $(cat id) replayed under another name" >expect &&
	test_cmp expect err &&
	test_expect_code 1 anemone-pull -c r >out 2>err &&
	grep -Fx "anemone-pull: r/snapshots/$n: snapshot record of $(cat id) replayed under another name" err
'

test_expect_success 'a record whose clear header was edited to match' '
	fresh && n=0123456789abcdef &&
	perl -e "local \$/; my \$d = <STDIN>; substr(\$d, 20, 8) = pack(\"H*\", \$ARGV[0]); print \$d" $n \
		<r/snapshots/$(cat id) >r/snapshots/$n &&
	test_expect_code 1 anemone-pull r h@$n >out 2>err &&
	echo "anemone-pull: r/snapshots/$n: snapshot record authentication failed (damaged, renamed, or from another repository)" >expect &&
	test_cmp expect err
'

test_expect_success 'a damaged config' '
	fresh && flip r/config 20 &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	echo "anemone-pull: r: key $T/k does not belong to this repository" >expect &&
	test_cmp expect err &&
	printf "garbage" >r/config &&
	test_expect_code 1 anemone-pull r h >out 2>err &&
	echo "anemone-pull: r/config: not an anemone repository config" >expect &&
	test_cmp expect err
'

done_testing
