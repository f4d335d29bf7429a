#!/usr/bin/env bash
# Crash safety and concurrency: kill -9 at many points of a push leaves
# every earlier snapshot restorable and the next push succeeding, reusing
# what was stored; concurrent pushes (and first pushes) both succeed.
# A push to be killed reads a FIFO the test holds open (run_held): it
# cannot finish before the kill, and no sleep decides the order.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
require_cmd perl

test_setup 'setup: a repository key, 24 and 48 MiB of input' '
	newkey "$T/k" &&
	export ANEMONE_KEYFILE="$T/k" &&
	mkdata "$T/base" 24 7 &&
	mkdata "$T/big" 48 8
'

test_expect_success 'kill -9 at many points: earlier snapshots stay sound' '
	anemone-push -q repo base <base >id0 &&
	for i in 1 2 3 4 5 6 7 8; do
		mkdata d$i 6 $((100 + i)) &&
		cat base d$i >in$i &&
		run_held anemone-push -q repo c$i &&
		head -c $((i * 30 * 1048576 / 8)) in$i >&7 &&
		kill_held &&
		anemone-pull repo base@$(cat id0) | cmp - base || exit 1
	done &&
	anemone-pull -c repo &&
	anemone-pull -l repo | cut -f2 | grep -v "^c[1-8]$" >names &&
	echo base >expect && test_cmp expect names
'

test_expect_success 'the next push succeeds and restores exactly' '
	anemone-push -q repo c8 <in8 >id8 &&
	anemone-pull repo c8 | cmp - in8 &&
	anemone-pull -c repo
'

test_expect_success 'a push killed after storing packs: the next one reuses them' '
	before=$(ls repo/packs | wc -l) &&
	run_held anemone-push -q repo big &&
	cat big >&7 &&
	wait_for 60 sh -c "test \$(ls repo/packs | wc -l) -ge $((before + 2))" &&
	kill_held &&
	! anemone-pull -l repo | grep -qP "\tbig\t" &&
	anemone-push repo big <big >idb 2>err &&
	sed -nE "s/.* ([0-9]+) of ([0-9]+) chunks new.*/\1 \2/p" err >counts &&
	read new all <counts &&
	test "$new" -lt "$all" &&
	anemone-pull repo big | cmp - big
'

test_expect_success 'two pushes at the same time both succeed' '
	mkdata e1 10 21 && mkdata e2 10 22 &&
	{ anemone-push -q repo p1 <e1 >i1 2>err1 & p1=$!; } &&
	{ anemone-push -q repo p2 <e2 >i2 2>err2 & p2=$!; } &&
	wait $p1 && wait $p2 &&
	test ! -s err1 && test ! -s err2 &&
	anemone-pull repo p1 | cmp - e1 &&
	anemone-pull repo p2 | cmp - e2 &&
	anemone-pull -c repo
'

test_expect_success 'two first pushes into one empty location both succeed' '
	{ anemone-push -q fresh q1 <e1 >j1 2>f1 & p1=$!; } &&
	{ anemone-push -q fresh q2 <e1 >j2 2>f2 & p2=$!; } &&
	wait $p1 && wait $p2 &&
	anemone-pull fresh q1 | cmp - e1 &&
	anemone-pull fresh q2 | cmp - e1 &&
	anemone-pull -c fresh
'

done_testing
