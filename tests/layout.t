#!/usr/bin/env bash
# The layout of lib/ (docs/ARCHITECTURE.md): the dependency rules read from
# the #include lines, and no function over 80 lines outside tests.
. "$(dirname "$0")/lib.sh"

test_expect_success 'lib/ keeps its dependency rules' '
	"$TOP/scripts/layout-check.sh" deps
'

test_expect_success 'the rule check catches a forbidden include' '
	mkdir -p "$T/copy" && cp -r "$TOP/lib" "$TOP/scripts" "$T/copy/" &&
	printf "#include \"wg/wgdev.h\"\n" >>"$T/copy/lib/backup/chunker.c" &&
	test_must_fail "$T/copy/scripts/layout-check.sh" deps >out &&
	grep -q "lib/backup/chunker.c:.*must not include \"wg/wgdev.h\"" out &&
	printf "#include \"store/store.h\"\n" >>"$T/copy/lib/error.c" &&
	test_must_fail "$T/copy/scripts/layout-check.sh" deps >out &&
	grep -q "lib/error.c:.*must not include" out
'

test_expect_success 'no function over 80 lines outside tests' '
	"$TOP/scripts/layout-check.sh" long
'

test_expect_success 'every folder of lib/ is described in docs/ARCHITECTURE.md' '
	for d in "$TOP"/lib/*/; do
		d=${d%/}; d=lib/${d##*/}/
		grep -q "\`$d\`" "$TOP/docs/ARCHITECTURE.md" || { echo "$d missing"; exit 1; }
	done
'
done_testing
