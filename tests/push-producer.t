#!/usr/bin/env bash
# A snapshot must be complete to be the latest: anemone-push REPO NAME --
# COMMAND runs the producer and writes the snapshot record only when it
# exits 0.  A producer that fails or dies leaves no new snapshot (the
# latest is unchanged) and its data is reused by the next push.  In a
# pipe, push cannot know: set -o pipefail only fixes the pipeline's status.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
require_cmd perl tar

export XDG_STATE_HOME="$T/state"
newkey "$T/k"
export ANEMONE_KEYFILE="$T/k"
cd "$T"
mkdata d1 2 1
head -c 3M /dev/urandom >r3
anemone-push -q repo h <d1 >id1
snaps() { ls repo/snapshots; }
snaps >snaps.before

test_expect_success 'a producer that exits 1: no snapshot, the latest unchanged' '
	test_expect_code 1 anemone-push -q repo h -- sh -c "cat r3; exit 1" >out 2>err &&
	test_must_be_empty out &&
	echo "anemone-push: the producer sh exited with status 1: the stream may be incomplete, no snapshot written" >expect &&
	test_cmp expect err &&
	snaps >now && test_cmp snaps.before now &&
	anemone-pull -q repo h | cmp - d1
'

test_expect_success 'a producer killed by a signal: no snapshot' '
	test_expect_code 1 anemone-push -q repo h -- sh -c "cat r3; kill -9 \$\$" >out 2>err &&
	test_must_be_empty out &&
	echo "anemone-push: the producer sh was killed by signal 9 (Killed): the stream may be incomplete, no snapshot written" >expect &&
	test_cmp expect err &&
	snaps >now && test_cmp snaps.before now
'

test_expect_success 'what the failed producer sent is reused by the next push' '
	anemone-push repo h -- cat r3 >id3 2>err &&
	grep -qE "^h@$(cat id3): read 3.00 MiB, stored [0-9.]+ (B|KiB), ratio [0-9.]+:1, 0 of [0-9]+ chunks new, [0-9.]+ s$" err &&
	anemone-pull -q repo h | cmp - r3
'

test_expect_success 'a producer that succeeds: its output is the snapshot' '
	mkdir -p tree/sub && cp d1 tree/sub/f && echo hi >tree/g &&
	anemone-push -q repo t -- tar -c -C tree . >idt 2>err &&
	test_must_be_empty err &&
	tar -c -C tree . >expect.tar &&
	anemone-pull -q repo t | cmp - expect.tar
'

test_expect_success 'a producer that cannot be run: named, no snapshot' '
	snaps >before &&
	test_expect_code 1 anemone-push -q repo h -- ./no-such-producer >out 2>err &&
	cat >expect <<-EOF &&
	anemone-push: ./no-such-producer: No such file or directory
	anemone-push: the producer ./no-such-producer exited with status 127: the stream may be incomplete, no snapshot written
	EOF
	test_cmp expect err &&
	snaps >now && test_cmp before now
'

test_expect_success 'usage: nothing after --, or an operand too many' '
	test_expect_code 2 anemone-push repo h -- </dev/null 2>err &&
	grep -q "^usage: anemone-push" err &&
	test_expect_code 2 anemone-push repo h cat </dev/null 2>err &&
	grep -q "^usage: anemone-push" err
'

test_expect_success 'in a pipe, pipefail reports the failure but the snapshot is written' '
	snaps >before &&
	set -o pipefail &&
	rc=0 &&
	{ sh -c "cat r3; exit 1" | anemone-push -q repo h >idp || rc=$?; } &&
	test $rc = 1 &&
	snaps >now && ! cmp -s before now &&
	grep -qx "$(cat idp)" now
'

done_testing
