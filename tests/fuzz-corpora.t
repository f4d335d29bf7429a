#!/usr/bin/env bash
# Every fuzz target's committed corpus replays cleanly under ASan+UBSan.
. "$(dirname "$0")/lib.sh"

n=0
for src in "$TOP"/fuzz/fuzz-*.c; do
	[ -e "$src" ] || continue
	name=${src##*/fuzz-}; name=${name%.c}
	n=$((n + 1))
	test_expect_success "fuzz corpus: $name" "
		test -x '$ANEMONE_BUILD/fuzzdrv/$name' &&
		test -d '$TOP/fuzz/corpus/$name' &&
		test -n \"\$(ls '$TOP/fuzz/corpus/$name')\" &&
		'$ANEMONE_BUILD/fuzzdrv/$name' '$TOP/fuzz/corpus/$name'
	"
done
[ $n -gt 0 ] || skip_all "no fuzz targets yet"
done_testing
