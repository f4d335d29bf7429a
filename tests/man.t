#!/usr/bin/env bash
# Every man page is mdoc and passes mandoc -Tlint with no warnings.
. "$(dirname "$0")/lib.sh"
require_cmd mandoc

n=0
for m in "$TOP"/man/*.[1-8]; do
	[ -e "$m" ] || continue
	n=$((n + 1))
	test_expect_success "mandoc -Tlint ${m##*/}" "
		out=\$(mandoc -Tlint -Wwarning '$m' 2>&1) || { echo \"\$out\"; exit 1; }
		test -z \"\$out\" || { echo \"\$out\"; exit 1; }
		head -c 4096 '$m' | grep -q '^\.Dt '
	"
done
[ $n -gt 0 ] || skip_all "no man pages yet"
done_testing
