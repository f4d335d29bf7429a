#!/usr/bin/env bash
# Rollback and replay detection (docs/STATE.md): a friend who hides or
# deletes the newest snapshot record, or puts back an older copy of the
# whole repository, is caught by pull NAME, NAME@ID, -l and -c, each
# naming the missing snapshot and the newest one shown; -A accepts the
# repository as it is; a new machine without state restores; a damaged
# state file is refused, named, and left alone.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
require_cmd perl

export XDG_STATE_HOME="$T/state"
newkey "$T/k"
export ANEMONE_KEYFILE="$T/k"
cd "$T"
mkdata d1 2 1
mkdata d2 2 2
anemone-push -q repo h <d1 >id1
anemone-push -q repo other <d1 >ido
cp -a repo before2		# the friend's old copy, taken now
anemone-push -q repo h <d2 >id2
RID=$(ls state/anemone)		# the repository id names the file
S=$T/state/anemone/$RID
time_of() { anemone-pull -l repo | awk -v id="$1" '$1 == id { print $3 }'; }
T1=$(time_of "$(cat id1)") T2=$(time_of "$(cat id2)")

test_expect_success 'push remembers what it made: 0600 file, 0700 folder' '
	test "$(stat -c %a "$S")" = 600 &&
	test "$(stat -c %a state/anemone)" = 700 &&
	head -n 2 "$S" >got &&
	printf "anemone-state 1\nrepo %s\n" "$RID" >expect &&
	test_cmp expect got &&
	sed 1,2d "$S" | cut -d" " -f1,3 >got &&
	printf "%s h\n%s h\n%s other\n" "$(cat id1)" "$(cat id2)" "$(cat ido)" >expect &&
	test_cmp expect got
'

msg="anemone-pull: repo: snapshot h@$(cat id2) of $T2, which this client saw, is missing; the newest h there is $(cat id1) of $T1 (a rollback, or a deletion: -A accepts the repository as it is now)"
echo "$msg" >"$T/rollback.msg"

# refused CASE: every reading command fails with the message, and writes
# nothing on stdout; the state is unchanged
refused() {
	test_expect_success "$1: pull NAME, NAME@ID, -l and -c refuse, naming both" '
		cp "$S" state.before &&
		for args in "repo h" "repo h@$(cat id1)" "-l repo" "-c repo" "-c repo h"; do
			test_expect_code 1 anemone-pull $args >out 2>err &&
			test_must_be_empty out &&
			test_cmp rollback.msg err || exit 1
		done &&
		test_cmp state.before "$S"
	'
}

mv repo/snapshots/$(cat id2) hidden
refused 'the newest record hidden'
mv hidden repo/snapshots/$(cat id2)

test_expect_success 'once it is back, all is well again' '
	anemone-pull -q repo h | cmp - d2 &&
	anemone-pull -c repo
'

mv repo current
cp -a before2 repo
refused 'an older copy of the whole repository put back'
rm -rf repo

test_expect_success 'deleted: -A accepts it, names what it forgets, restores the rest' '
	cp -a current repo &&
	rm repo/snapshots/$(cat id2) &&
	anemone-pull -A repo h >out 2>err &&
	cmp out d1 &&
	cat >expect <<-EOF &&
	anemone-pull: repo: accepting (-A) that snapshot h@$(cat id2) of $T2, which this client saw, is gone or changed
	EOF
	test_cmp expect err &&
	! grep -q "^$(cat id2) " "$S" &&
	grep -q "^$(cat id1) " "$S" &&
	anemone-pull -q repo h | cmp - d1 &&
	anemone-pull -l repo >list &&
	test $(wc -l <list) = 2
'

test_expect_success 'a new machine with no state restores from the repository alone' '
	rm -rf repo && cp -a before2 repo &&
	XDG_STATE_HOME=$T/newbox anemone-pull repo h >out 2>err &&
	cmp out d1 &&
	test_must_be_empty err &&
	test -f newbox/anemone/$RID
'

test_expect_success 'a damaged state file: refused, named, left as it was' '
	rm -rf repo && cp -a current repo &&
	printf "%s 1 h\n" "$(cat id2 | tr a-f A-F)" >>"$S" &&
	cp "$S" damaged &&
	n=$(wc -l <"$S") &&
	for args in "repo h" "-l repo" "-c repo"; do
		test_expect_code 1 anemone-pull $args >out 2>err &&
		test_must_be_empty out &&
		echo "anemone-pull: $S:$n:1: bad snapshot id (want 16 lowercase hex digits) (a damaged state file: remove it to start afresh; a restore never needs it)" >expect &&
		test_cmp expect err || exit 1
	done &&
	test_cmp damaged "$S" &&
	anemone-push -q repo h <d1 >id3 2>err &&
	echo "anemone-push: warning: $S:$n:1: bad snapshot id (want 16 lowercase hex digits) (a damaged state file: remove it to start afresh; a restore never needs it); rollback detection will not know snapshot $(cat id3)" >expect &&
	test_cmp expect err &&
	test_cmp damaged "$S"
'

test_expect_success 'no place for the state: a warning, the restore still works' '
	rm -f "$S" &&
	: >notadir &&
	XDG_STATE_HOME=$T/notadir anemone-pull repo other >out 2>err &&
	cmp out d1 &&
	echo "anemone-pull: warning: $T/notadir/anemone: Not a directory; rollback detection will not know these snapshots" >expect &&
	head -n 1 err >got && test_cmp expect got
'

done_testing
