#!/usr/bin/env bash
# Run every C unit test binary (each prints its own TAP) as one subtest.
. "$(dirname "$0")/lib.sh"

n=0
for src in "$TOP"/tests/unit/*.c; do
	[ -e "$src" ] || continue
	name=${src##*/}; name=${name%.c}
	n=$((n + 1))
	test_expect_success "unit: $name" "
		'$ANEMONE_BUILD/unit/$name' >'$T/$name.tap' 2>&1 || { cat '$T/$name.tap'; exit 1; }
		! grep -q '^not ok' '$T/$name.tap' &&
		grep -q '^1\.\.[1-9]' '$T/$name.tap'
	"
done
[ $n -gt 0 ] || skip_all "no unit tests yet"
done_testing
