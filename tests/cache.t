#!/usr/bin/env bash
# The local metadata cache (docs/ARCHITECTURE.md, "The metadata cache"): what it
# holds, that it is used, that nothing in it is trusted (damaged,
# truncated, swapped, foreign, stale entries and another repository's
# cache are all refetched or removed), that concurrent runs share it and
# that deleting it is harmless; and the pipelined metadata fetch over a
# link cut half-way.
. "$(dirname "$0")/lib.sh"
require_cmd od cmp

export XDG_CACHE_HOME=$T/cache
(umask 077 && anemone-keygen -t repo >"$T/key" && anemone-keygen -t repo >"$T/key2")
R=$T/repo
head -c 300K /dev/urandom >"$T/a"
head -c 200K /dev/urandom >"$T/b"
anemone-push -q -k "$T/key" "$R" a <"$T/a" >/dev/null
anemone-push -q -k "$T/key" "$R" b <"$T/b" >/dev/null
anemone-push -q -k "$T/key2" "$T/other" a <"$T/a" >/dev/null

repo_id() { od -An -tx1 -j12 -N16 "$1/config" | tr -d ' \n'; }
C=$XDG_CACHE_HOME/anemone/$(repo_id "$R")
C2=$XDG_CACHE_HOME/anemone/$(repo_id "$T/other")
first() { ls "$1" | head -n1; }

# every cache entry is byte for byte the repository's file, and every
# index file and record of the repository is cached
cache_matches() {
	local d f
	for d in index snapshots; do
		ls "$R/$d" >"$T/want" && ls "$C/$d" >"$T/have" &&
		test_cmp "$T/want" "$T/have" || return 1
		for f in $(cat "$T/want"); do cmp "$R/$d/$f" "$C/$d/$f" || return 1; done
	done
}
# list and pull both snapshots; all must come back right
all_right() {
	anemone-pull -l -k "$T/key" "$R" | cut -f2 >"$T/names" &&
	grep -qx a "$T/names" && grep -qx b "$T/names" &&
	anemone-pull -k "$T/key" "$R" a | cmp - "$T/a" &&
	anemone-pull -k "$T/key" "$R" b | cmp - "$T/b"
}

test_expect_success 'a run fills the cache with the index files and records' '
	rm -rf "$XDG_CACHE_HOME" &&
	all_right &&
	cache_matches &&
	test -f "$XDG_CACHE_HOME/anemone/CACHEDIR.TAG" &&
	test "$(stat -c %a "$C")" = 700
'

test_expect_success 'a warm cache is used: the server copies are not read' '
	mkdir -p "$T/save" && cp -a "$R/index" "$R/snapshots" "$T/save/" &&
	test_when_finished "rm -rf $R/index $R/snapshots && cp -a $T/save/index $T/save/snapshots $R/" &&
	for f in "$R"/index/* "$R"/snapshots/*; do
		head -c "$(stat -c %s "$f")" /dev/zero >"$f"
	done &&
	all_right &&
	test_expect_code 1 anemone-pull -o no-cache -l -k "$T/key" "$R" 2>err &&
	grep -q "^anemone-pull: $R/snapshots/[0-9a-f]*: not a snapshot record" err &&
	test_expect_code 1 anemone-pull -c -k "$T/key" "$R" 2>err &&
	grep -q "^anemone-pull: $R/index/[0-9a-f]*: authentication failed" err
'

test_expect_success 'a damaged entry is refetched' '
	f=$(first "$C/index") &&
	printf "\\377" | dd of="$C/index/$f" bs=1 seek=40 conv=notrunc 2>/dev/null &&
	! cmp -s "$R/index/$f" "$C/index/$f" &&
	all_right && cache_matches
'

test_expect_success 'a truncated entry is refetched' '
	f=$(first "$C/snapshots") &&
	truncate -s 20 "$C/snapshots/$f" &&
	all_right && cache_matches
'

test_expect_success 'swapped entries are refetched' '
	set -- $(ls "$C/snapshots") &&
	mv "$C/snapshots/$1" "$T/x" && mv "$C/snapshots/$2" "$C/snapshots/$1" &&
	mv "$T/x" "$C/snapshots/$2" &&
	set -- $(ls "$C/index") &&
	cp "$C/index/$1" "$C/index/$2" &&
	all_right && cache_matches
'

test_expect_success 'an entry from another repository is refetched' '
	anemone-pull -k "$T/key2" "$T/other" a | cmp - "$T/a" &&
	cp "$C2/index/$(first "$C2/index")" "$C/index/$(first "$C/index")" &&
	cp "$C2/snapshots/$(first "$C2/snapshots")" "$C/snapshots/$(first "$C/snapshots")" &&
	all_right && cache_matches
'

test_expect_success 'the cache of another repository id is never used' '
	rm -rf "$C" && cp -a "$C2" "$C" &&
	for d in index snapshots; do
		set -- $(ls "$R/$d") &&
		for f; do cp "$C2/$d/$(first "$C2/$d")" "$C/$d/$f"; done
	done &&
	all_right && cache_matches
'

test_expect_success 'stale entries (files the repository lost) are removed' '
	echo junk >"$C/index/$(printf "%064d" 0)" &&
	echo junk >"$C/snapshots/0000000000000000" &&
	echo junk >"$C/index/.tmp-1-1" && touch -d "2 days ago" "$C/index/.tmp-1-1" &&
	all_right && cache_matches &&
	test ! -e "$C/index/.tmp-1-1"
'

test_expect_success 'caches of repositories unused for 90 days are removed, others kept' '
	old=$XDG_CACHE_HOME/anemone/$(printf "%032d" 1) &&
	recent=$XDG_CACHE_HOME/anemone/$(printf "%032d" 2) &&
	mkdir -p "$old/index" "$recent/index" && echo x >"$old/index/ab" &&
	echo x >"$recent/index/ab" &&
	touch -d "91 days ago" "$old" && touch -d "89 days ago" "$recent" &&
	anemone-pull -l -k "$T/key" "$R" >/dev/null &&
	test ! -e "$old" && test -f "$recent/index/ab" && test -d "$C2"
'

test_expect_success '-o no-cache neither reads nor writes the cache' '
	rm -rf "$XDG_CACHE_HOME" &&
	anemone-pull -o no-cache -l -k "$T/key" "$R" >/dev/null &&
	head -c 10K /dev/urandom | anemone-push -q -o no-cache -k "$T/key" "$R" c >/dev/null &&
	test ! -e "$XDG_CACHE_HOME"
'

test_expect_success 'two concurrent pushes share the cache' '
	rm -rf "$XDG_CACHE_HOME" &&
	head -c 2M /dev/urandom >"$T/p1" && head -c 2M /dev/urandom >"$T/p2" &&
	{ anemone-push -q -k "$T/key" "$R" p1 <"$T/p1" >"$T/id1" & } && p1=$! &&
	{ anemone-push -q -k "$T/key" "$R" p2 <"$T/p2" >"$T/id2" & } && p2=$! &&
	wait $p1 && wait $p2 &&
	anemone-pull -k "$T/key" "$R" p1 | cmp - "$T/p1" &&
	anemone-pull -k "$T/key" "$R" p2 | cmp - "$T/p2" &&
	cache_matches
'

test_expect_success 'deleting the cache during a run is harmless' '
	mkfifo "$T/fifo" &&
	{ anemone-push -q -k "$T/key" "$R" mid <"$T/fifo" >"$T/id" 2>"$T/err" & } && pid=$! &&
	exec 7>"$T/fifo" &&
	head -c 1M /dev/urandom | tee "$T/mid" >&7 &&
	wait_for 30 test -d "$C/index" &&
	rm -rf "$XDG_CACHE_HOME" &&
	head -c 1M /dev/urandom | tee -a "$T/mid" >&7 &&
	exec 7>&- &&
	wait $pid && test_must_be_empty "$T/err" &&
	anemone-pull -k "$T/key" "$R" mid | cmp - "$T/mid" &&
	all_right && cache_matches
'

# Pipelined fetch over sftp: many index files, the link cut half-way
if [ "$(id -u)" = 0 ] && [ -x "$ANEMONE_BUILD/bench/relay" ]; then
. "$TOP/tests/lib-sftp.sh"
sftp_setup
sshd_start 256m
anemone-push -q -k "$T/key" "$SRV/repo" h <"$T/b" >/dev/null
"$ANEMONE_BUILD/bench/mkrepo" "$T/key" "$SRV/repo" h 300 600 64
AO=(-k "$T/key" -i "$KEY" -o known_hosts="$KNOWN" -o accept-new -o timeout=3)

test_expect_success 'sftp: a cold fetch of 600 index files and 300 records, then warm' '
	rm -rf "$XDG_CACHE_HOME" &&
	on_client anemone-pull "${AO[@]}" sftp://root@192.0.2.2:$SSHD_PORT/mnt/repo h | cmp - "$T/b" &&
	C=$XDG_CACHE_HOME/anemone/$(repo_id "$SRV/repo") &&
	test "$(ls "$C/index" | wc -l)" = 601 && test "$(ls "$C/snapshots" | wc -l)" = 301 &&
	on_client anemone-pull "${AO[@]}" -l sftp://root@192.0.2.2:$SSHD_PORT/mnt/repo >list &&
	test "$(wc -l <list)" = 301
'

test_expect_success 'sftp: the link cut half-way through a cold fetch: exit 1 within the timeout' '
	rm -rf "$XDG_CACHE_HOME" &&
	spawn_bg RELAY_PID ip netns exec "$CL" "$ANEMONE_BUILD/bench/relay" 127.0.0.1 2299 192.0.2.2 "$SSHD_PORT" 5 400000 &&
	wait_for 10 on_client bash -c "exec 3<>/dev/tcp/127.0.0.1/2299" &&
	SECONDS=0 &&
	test_expect_code 1 on_client anemone-pull "${AO[@]}" sftp://root@127.0.0.1:2299/mnt/repo h >out 2>err &&
	test $SECONDS -lt 25 && test_must_be_empty out &&
	grep -Eq "^anemone-pull: root@127.0.0.1:2299: .*(no answer from the server for 3 seconds \(connection timed out\)|connection lost)$" err
'
fi
done_testing
