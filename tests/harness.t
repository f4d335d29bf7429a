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

done_testing
