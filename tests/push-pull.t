#!/usr/bin/env bash
# anemone-push / anemone-pull on a local repository: round trips, the
# command line, listing, selection, wrong keys, dedup, exact messages.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
require_cmd perl

test_setup 'setup: two repository keys, two inputs of 6 MiB' '
	newkey "$T/k" &&
	newkey "$T/other" &&
	mkdata "$T/a" 6 1 &&
	mkdata "$T/b" 6 2 &&
	export ANEMONE_KEYFILE="$T/k"
'

test_expect_success 'a repository key through a symbolic link is refused' '
	ln -s k "$T/klink" &&
	test_expect_code 1 anemone-push -k "$T/klink" repo host1 <a >out 2>err &&
	echo "anemone-push: $T/klink: is a symbolic link; refused for a file that may hold a key (name the file itself)" >expect &&
	test_cmp expect err && test_cmp /dev/null out &&
	test ! -e repo
'

test_expect_success 'first push initialises the repository, prints the id' '
	anemone-push repo host1 <a >id 2>err &&
	grep -qxE "[0-9a-f]{16}" id &&
	head -n 1 err >err1 &&
	echo "anemone-push: initialised a new repository at repo" >expect &&
	test_cmp expect err1 &&
	sed -n 2p err | grep -qE "^host1@$(cat id): read 6.00 MiB, stored [0-9.]+ [KM]iB, ratio [0-9.]+:1, [0-9]+ of [0-9]+ chunks new, [0-9.]+ s$" &&
	test $(wc -l <err) = 2 &&
	test -f repo/config && test $(stat -c %s repo/config) = 60
'

test_expect_success 'pull gives back the exact stream' '
	anemone-pull repo host1 >out 2>err &&
	test_cmp a out && test ! -s err
'

test_expect_success 'an unchanged re-push stores under 1% of its size' '
	anemone-push -q repo host1 <a >id2 2>err &&
	test ! -s err &&
	n=$(cat id2) &&
	test $(stat -c %s repo/snapshots/$n) -lt 2000 &&
	before=$(du -sb repo | cut -f1) &&
	anemone-push repo host1 <a >/dev/null 2>err &&
	after=$(du -sb repo | cut -f1) &&
	test $((after - before)) -lt $((6 * 1048576 / 100))
'

test_expect_success 'a second name, listed tab-separated when piped' '
	anemone-push -q repo host2 <b >idb &&
	anemone-pull -l repo >list &&
	test $(wc -l <list) = 4 &&
	cut -f1 list | grep -qx "$(cat idb)" &&
	awk -F"\t" "NF != 4 || \$3 !~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z\$/ { exit 1 }" list &&
	grep -P "^$(cat idb)\thost2\t[^\t]+\t6291456\$" list &&
	anemone-pull -l repo host2 >list2 &&
	test $(wc -l <list2) = 1
'

test_expect_success 'NAME is the latest; NAME@ID and a prefix select one' '
	anemone-pull repo host2 | cmp - b &&
	anemone-pull repo host1@$(cat id) | cmp - a &&
	p=$(cut -c1-6 idb) &&
	anemone-pull repo host2@$p | cmp - b
'

test_expect_success 'an id under the wrong name, an unknown name or id' '
	test_expect_code 1 anemone-pull repo host1@$(cat idb) >out 2>err &&
	echo "anemone-pull: repo: snapshot $(cat idb) is named host2, not host1" >expect &&
	test_cmp expect err && test ! -s out &&
	test_expect_code 1 anemone-pull repo nobody >out 2>err &&
	echo "anemone-pull: repo: no snapshot named nobody" >expect &&
	test_cmp expect err &&
	test_expect_code 1 anemone-pull repo host1@ffffffffffffffff >out 2>err &&
	echo "anemone-pull: repo: no snapshot host1@ffffffffffffffff" >expect &&
	test_cmp expect err &&
	test_expect_code 2 anemone-pull repo "bad/name" 2>err &&
	echo "anemone-pull: bad snapshot name '"'"'bad/name'"'"'" >expect &&
	test_cmp expect err
'

test_expect_success 'verify: silent and 0 on a sound repository' '
	anemone-pull -c repo >out 2>err &&
	test ! -s out && test ! -s err &&
	anemone-pull -c repo host2 >out 2>err &&
	test ! -s out && test ! -s err &&
	anemone-pull -c repo host1@$(cat id) >out 2>err &&
	test ! -s out && test ! -s err &&
	test_expect_code 1 anemone-pull -c repo nobody >out 2>err &&
	echo "anemone-pull: repo: no snapshot named nobody" >expect &&
	test_cmp expect err
'

test_expect_success 'a key that is not the repository'"'"'s fails at once' '
	repo_files repo >before &&
	test_expect_code 1 anemone-push -k other repo host1 <a >out 2>err &&
	echo "anemone-push: repo: key other does not belong to this repository" >expect &&
	test_cmp expect err && test ! -s out &&
	test_expect_code 1 anemone-pull -k other repo host1 >out 2>err &&
	sed s/push/pull/ expect >expect2 &&
	test_cmp expect2 err && test ! -s out &&
	repo_files repo >after &&
	test_cmp before after
'

test_expect_success 'no key, a key file others may read' '
	test_expect_code 2 env -u ANEMONE_KEYFILE anemone-push repo x <a 2>err &&
	echo "anemone-push: no key: use -k KEYFILE or set ANEMONE_KEYFILE" >expect &&
	test_cmp expect err &&
	cp k loose && chmod 644 loose &&
	test_expect_code 1 anemone-pull -k loose repo host1 >out 2>err &&
	echo "anemone-pull: loose: key file is readable by group or others (mode 644); run chmod 600 loose" >expect &&
	test_cmp expect err
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 anemone-push repo 2>err &&
	cat >expect <<-EOF &&
	usage: anemone-push [-q] [-k keyfile] [-i sshkey] [-o option] [-b rate] [-s seconds]
	                    {repository | -r repository ...} name [-- command [argument ...]]
	       anemone-push -C source [options] {repository | -r repository ...} [name]
	EOF
	test_cmp expect err &&
	test_expect_code 2 anemone-pull 2>err &&
	test $(wc -l <err) = 8 &&
	test_expect_code 2 anemone-push repo .hidden <a 2>err
'

test_expect_success 'an empty stream is a snapshot too' '
	anemone-push -q repo empty </dev/null >ide &&
	anemone-pull repo empty >out &&
	test ! -s out &&
	grep -P "^$(cat ide)\tempty\t[^\t]+\t0\$" <(anemone-pull -l repo)
'

test_expect_success 'pull and list refuse a missing repository, a non-repository' '
	test_expect_code 1 anemone-pull -l nowhere >out 2>err &&
	echo "anemone-pull: nowhere: No such file or directory" >expect &&
	test_cmp expect err &&
	mkdir notrepo && echo x >notrepo/file &&
	test_expect_code 1 anemone-push notrepo x <a >out 2>err &&
	echo "anemone-push: notrepo: not an anemone repository (no config) and not empty" >expect &&
	test_cmp expect err
'

test_expect_success 'empty layout folders made beforehand start a repository' '
	mkdir -p ready/packs ready/index ready/snapshots &&
	anemone-push -q ready x <a >id &&
	anemone-pull ready x | cmp - a &&
	mkdir -p used/packs/ab used/index used/snapshots &&
	test_expect_code 1 anemone-push used x <a >out 2>err &&
	echo "anemone-push: used: not an anemone repository (no config) and not empty" >expect &&
	test_cmp expect err
'

test_expect_success 'chunks shared across names are stored once' '
	cat a b >ab &&
	before=$(du -sb repo | cut -f1) &&
	anemone-push -q repo host3 <ab >/dev/null &&
	after=$(du -sb repo | cut -f1) &&
	# only the chunks around the a|b junction are new: with a random key
	# their sizes vary, at most two of the 256 KiB maximum plus metadata
	test $((after - before)) -lt $((2 * 262144 + 65536)) &&
	anemone-pull repo host3 | cmp - ab
'

test_expect_success 'files are never replaced: repository files are 0600, no temporaries left' '
	test -z "$(find repo -name ".tmp-*")" &&
	test -z "$(find repo -type f ! -perm 600)"
'

done_testing
