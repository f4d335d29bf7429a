#!/usr/bin/env bash
# The harness itself: failures are reported, cleanups run, namespaces go.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a failing body is reported as not ok' '
	out=$(bash -c ". \"$TOP/tests/lib.sh\"; test_expect_success x false; done_testing" 2>&1) && exit 1
	echo "$out" | grep -q "^not ok 1 - x"
'

test_expect_success 'test_must_fail refuses success and crashes' '
	! test_must_fail true 2>/dev/null &&
	! test_must_fail sh -c "kill -SEGV \$\$" 2>/dev/null &&
	test_must_fail false
'

test_expect_success 'cleanups run even when the script is killed' '
	bash -c ". \"$TOP/tests/lib.sh\"; at_exit \"touch $T/cleaned\"; kill -TERM \$\$; sleep 5" >/dev/null 2>&1 || true
	test -f "$T/cleaned"
'

if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
test_expect_success 'netns_pair joins two namespaces and is removed at exit' '
	bash -c ". \"$TOP/tests/lib.sh\"; netns_pair A B; echo \$A \$B >$T/names; ip netns exec \$A ping -c1 -W2 192.0.2.2 >/dev/null" &&
	read a b <"$T/names" &&
	! ip netns list | grep -qw "$a" && ! ip netns list | grep -qw "$b"
'
else
test_skip 'netns_pair' 'needs root and ip'
fi

# A small test file for the options: three tests, the second fails.
test_setup 'a sample test file with a failing second test' '
	mkdir -p "$T/sample/tests" &&
	cp "$TOP/tests/lib.sh" "$T/sample/tests/" &&
	cat >"$T/sample/tests/s.t" <<-\EOF
	#!/usr/bin/env bash
	. "$(dirname "$0")/lib.sh"
	test_expect_success one "echo said-one"
	test_expect_success two "echo said-two; false"
	test_expect_success three "echo said-three"
	done_testing
	EOF
'
sample() { bash "$T/sample/tests/s.t" "$@"; }

test_expect_success 'by default: every test, output only of the failure' '
	test_expect_code 1 sample >out &&
	grep -c "^ok \|^not ok " out >n && echo 3 >expect && test_cmp expect n &&
	grep -q "^not ok 2 - two" out && grep -q "said-two" out &&
	! grep -q "said-one" out
'

test_expect_success '-v shows the commands and output of passing tests' '
	test_expect_code 1 sample -v >out &&
	grep -q "^#    +* echo said-one" out && grep -q "^#    said-one" out &&
	grep -q "^ok 3 - three" out
'

test_expect_success '-i stops at the first failure' '
	test_expect_code 1 sample -i >out &&
	grep -q "^not ok 2 - two" out && ! grep -q "^ok 3" out &&
	grep -q "^Bail out! -i: stopped after test 2" out
'

test_expect_success '--run=1,3 and ranges run only those, the rest skipped' '
	sample --run=1,3 >out &&
	grep -qx "ok 2 - two # SKIP not in --run=1,3" out &&
	grep -qx "ok 3 - three" out &&
	sample --run=3- >out && grep -q "^ok 1 - one # SKIP" out &&
	test_expect_code 1 sample --run=1-2 >out && grep -q "^ok 3 - three # SKIP" out &&
	test_expect_code 1 sample --run=x >out &&
	grep -q "^Bail out! .*--run=x: want numbers" out
'

test_expect_success 'tools not built: one clear line, no trash left' '
	test_expect_code 1 env ANEMONE_BUILD=/nonexistent bash "$TOP/tests/man.t" >out 2>&1 &&
	echo "Bail out! anemone-keygen is not built in /nonexistent/bin: run make build-check (or set ANEMONE_BUILD to a build)" >expect &&
	test_cmp expect out
'

test_expect_success 'a failing test_setup stops the file' '
	test_expect_code 1 bash -c ". \"$TOP/tests/lib.sh\"; test_setup s false; test_expect_success after true; done_testing" >out 2>&1 &&
	grep -q "^not ok 1 - s" out && ! grep -q "^ok 2" out &&
	grep -qx "1..1" out
'

done_testing
