#!/usr/bin/env bash
# Catalogues of tar snapshots on a local repository: anemone-pull -t
# against `tar tv` for GNU tar and bsdtar streams, part restores against
# extracting the same members from the whole stream, diff and history,
# and truncated or damaged tar streams refused.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-engine.sh"
. "$TOP/tests/lib-tree.sh"
require_cmd perl bsdtar setfattr

newkey "$T/k"
export ANEMONE_KEYFILE="$T/k"
mktree "$T/tree"
cd "$T" || exit 1

# the streams: GNU tar in its own and in pax format, bsdtar (pax)
tar -C "$T/tree" --sort=name --format=gnu -c . >gnu.tar
tar -C "$T/tree" --sort=name --format=pax --xattrs --sparse -c . >pax.tar
bsdtar -C "$T/tree" -cf - . >bsd.tar 2>/dev/null

for s in gnu pax bsd; do
	test_expect_success "$s: the catalogue lists what tar tv lists" "
		anemone-push -q repo $s <$s.tar >/dev/null &&
		anemone-pull -t repo $s >$s.tsv &&
		tsv2tv <$s.tsv >got && tv <$s.tar >want 2>/dev/null &&
		test_cmp want got &&
		test \$(wc -l <$s.tsv) -ge 18
	"
done

test_expect_success 'every member of every stream as a part restore; -c' '
	anemone-pull -c repo &&
	for s in gnu pax bsd; do
		anemone-pull repo $s . >part.tar &&
		tar -tf part.tar >got && tar -tf $s.tar >want &&
		test_cmp want got || return 1
	done
'

# part NAME PATH...: restore the members, extract them with GNU tar and
# bsdtar, and compare each member with the same member of the whole
# stream extracted by GNU tar
part() {
	local s=$1
	shift
	rm -rf x1 x2 && mkdir x1 x2 &&
	anemone-pull repo "$s" "$@" >part.tar &&
	tar -tf part.tar --quoting-style=literal >names &&
	test -s names &&
	tar -xf part.tar -C x1 &&
	same_members "full-$s" x1 &&
	if [ -z "${NOBSD:-}" ]; then
		LC_ALL=C.UTF-8 bsdtar -xf part.tar -C x2 &&
		same_members "full-$s" x2
	fi
}
# same_members A B: the members named in names, in both trees: types,
# modes, sizes, times, device numbers, link targets, contents (not the
# times of directories: GNU tar sets them in an order that depends on
# which members follow, even among members it skips)
same_members() {
	members "$1" >"$T/ta" && members "$2" >"$T/tb" && test_cmp "$T/ta" "$T/tb"
}
members() {
	(cd "$1" && while IFS= read -r n; do
		if [ -d "$n" ] && [ ! -h "$n" ]; then stat -c '%n %F %a' "$n"
		else stat -c '%n %F %a %s %Y %t,%T' "$n"; fi &&
		if [ -h "$n" ]; then readlink "$n"; elif [ -f "$n" ]; then md5sum <"$n"; fi ||
		return 1
	done <"$T/names")
}
for s in gnu pax bsd; do
	mkdir "full-$s" && tar -xf "$s.tar" -C "full-$s" 2>/dev/null
done

for s in gnu pax bsd; do
	test_expect_success "$s: part restores extract as from the whole stream" "
		part $s dir/b.txt &&
		test \$(cat names) = ./dir/b.txt &&
		part $s ./dir/sub &&
		grep -q file-with-a-long-path.txt names &&
		part $s 'dir/s*' &&
		test \$(wc -l <names) = 5 &&
		part $s dir/a.txt dir/hard dir/sym dir/longsym &&
		test x1/dir/a.txt -ef x1/dir/hard && test x2/dir/a.txt -ef x2/dir/hard &&
		part $s sparse fifo setuid &&
		part $s \"caf\$(printf '\\303\\251')\" &&
		# bsdtar cannot extract a non-UTF-8 name from GNU tar pax
		# headers (nor from the whole stream)
		NOBSD=\$([ $s = pax ] && echo 1) part $s \"\$(printf 'bad\\377name')\"
	"
done

test_expect_success 'a part restore is the members bytes, then an end marker' '
	anemone-pull repo gnu dir/b.txt >part.tar &&
	test $(stat -c %s part.tar) = $((512 + 512 + 1024)) &&
	off=$(tar -tRvf gnu.tar | sed -n "s/^block \([0-9]*\): .* \.\/dir\/b\.txt$/\1/p") &&
	dd if=gnu.tar bs=512 skip=$off count=2 status=none | cmp - <(head -c 1024 part.tar) &&
	tail -c 1024 part.tar | cmp - <(head -c 1024 /dev/zero)
'

test_expect_success '-t with paths; a path in no member is an error' '
	anemone-pull -t repo gnu dir/sub >list &&
	test $(wc -l <list) = 4 &&
	test_expect_code 1 anemone-pull -t repo gnu dir/a.txt nosuch >out 2>err &&
	echo "anemone-pull: nosuch: not in snapshot gnu" >expect &&
	test_cmp expect err &&
	test_expect_code 1 anemone-pull repo gnu nosuch >out 2>err &&
	test_cmp expect err && test_cmp /dev/null out
'

test_expect_success 'paths, snapshots and repositories keep their places' '
	anemone-pull -r repo gnu dir/a.txt >part.tar &&
	tar -tf part.tar >names && test "$(cat names)" = ./dir/a.txt &&
	anemone-pull -t -r repo -- gnu dir/b.txt >list &&
	test $(wc -l <list) = 1 &&
	test_expect_code 2 anemone-pull -t repo dir/a.txt 2>err &&
	echo "anemone-pull: bad snapshot name '"'"'dir/a.txt'"'"'" >expect &&
	test_cmp expect err
'

test_expect_success 'diff: added, removed, changed (size, mtime, content)' '
	cp -a "$T/tree" t2 &&
	rm t2/dir/b.txt && echo new >t2/dir/new.txt &&
	printf "HELLO\n" >t2/dir/a.txt && touch -d "2024-05-06 07:08:09" t2/dir/a.txt &&
	touch -d "2025-01-01 00:00:00" t2/setuid &&
	echo more >>t2/dir/sub/big && touch -d "2024-05-06 07:08:09" t2/dir/sub/big t2/dir &&
	tar -C t2 --sort=name --format=gnu -c . >gnu2.tar &&
	anemone-push -q repo gnu <gnu2.tar >/dev/null &&
	anemone-pull -l repo gnu | cut -f1 >ids &&
	anemone-pull -d repo gnu@$(head -n 1 ids) gnu >got &&
	printf "M\t./dir/a.txt\tcontent\nD\t./dir/b.txt\nA\t./dir/new.txt\nM\t./dir/sub/big\tsize,content\nM\t./setuid\tmtime\n" >expect &&
	test_cmp expect got &&
	anemone-pull -d repo gnu@$(head -n 1 ids) gnu dir/sub >got &&
	printf "M\t./dir/sub/big\tsize,content\n" >expect && test_cmp expect got
'

test_expect_success 'history: the snapshots in which one path changed' '
	anemone-push -q repo gnu <gnu2.tar >/dev/null &&
	anemone-push -q repo gnu <gnu.tar >/dev/null &&
	anemone-pull -l repo gnu | cut -f1 >ids &&
	anemone-pull -H repo gnu dir/sub/big | cut -f1,3,4,6 >got &&
	{ printf "gnu@%s\tadded\t300000\t\n" $(sed -n 1p ids) &&
	  printf "gnu@%s\tchanged\t300005\tsize,content\n" $(sed -n 2p ids) &&
	  printf "gnu@%s\tchanged\t300000\tsize,content\n" $(sed -n 4p ids); } >expect &&
	test_cmp expect got
'

test_expect_success 'a stream that is not tar has no catalogue; pull still works' '
	mkdata data 1 3 &&
	anemone-push -q repo raw <data >/dev/null &&
	anemone-pull repo raw | cmp - data &&
	test_expect_code 1 anemone-pull -t repo raw 2>err &&
	echo "anemone-pull: snapshot raw: no catalogue (its stream is not a tar archive)" >expect &&
	test_cmp expect err
'

test_expect_success 'a truncated tar stream is refused; nothing becomes latest' '
	anemone-pull -l repo gnu >before &&
	size=$(stat -c %s gnu.tar) &&
	test_expect_code 1 anemone-push -q repo gnu < <(head -c $((size / 2)) gnu.tar) >out 2>err &&
	grep -q "^anemone-push: the tar archive is damaged near byte [0-9]*: .*; no snapshot written$" err &&
	test_cmp /dev/null out &&
	anemone-pull -l repo gnu >after && test_cmp before after &&
	anemone-pull repo gnu | cmp - gnu.tar
'

test_expect_success 'a tar stream cut at a member boundary is refused' '
	printf "abc" >one && touch -d 2024-01-01 one &&
	tar --format=ustar -c one >one.tar &&
	test_expect_code 1 anemone-push -q repo cut < <(head -c 1024 one.tar) 2>err &&
	echo "anemone-push: the tar archive ends at byte 1024 without its end-of-archive marker (cut short?); no snapshot written" >expect &&
	test_cmp expect err &&
	anemone-pull -l repo cut >list && test_cmp /dev/null list &&
	anemone-push -q repo cut <one.tar >/dev/null &&
	anemone-pull -t repo cut | cut -f8 >got && echo one >expect && test_cmp expect got
'

test_expect_success 'a damaged member header is refused' '
	cp gnu.tar bad.tar &&
	off=$(tar -tRvf gnu.tar | sed -n "s/^block \([0-9]*\): .* \.\/dir\/b\.txt$/\1/p") &&
	printf "\377\377\377" | dd of=bad.tar bs=1 seek=$((off * 512 + 150)) conv=notrunc status=none &&
	test_expect_code 1 anemone-push -q repo gnu <bad.tar 2>err &&
	grep -q "^anemone-push: the tar archive is damaged near byte" err
'

done_testing
