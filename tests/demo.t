#!/usr/bin/env bash
# make demo (scripts/demo.sh): it runs the whole story and exits 0, and
# leaves nothing behind: not after a full run, not after Ctrl-C midway,
# not after a restore that does not match (which must exit 1).
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ip wireguard-go /usr/sbin/sshd ssh-keygen setsid perl \
	anemone-keygen anemone-render anemone-link anemone-probe \
	anemone-push anemone-pull


DEMO=$TOP/scripts/demo.sh
export DEMO_MB=40

# What run $1 (its output file) left behind: its namespaces, WireGuard
# sockets, links, temporary folder, mounts of it, processes naming either
# (others may run demos at the same time: only this run's names count).
leftovers() {
	local x d
	x=$(sed -n 's/^host# ip netns add anemone-demo-home-\([0-9a-f]*\)$/\1/p' "$1")
	d=$(sed -n 's/^host# rm -rf \(\/tmp\/anemone-demo\.[A-Za-z0-9]*\)$/\1/p' "$1")
	[ -n "$x" ] || { echo "no namespace suffix in $1"; return; }
	[ -n "$d" ] || { echo "no teardown of the folder in $1"; return; }
	ip netns list | awk -v x="-$x" '$1 ~ x "$" { print "netns " $1 }'
	ls /var/run/wireguard 2>/dev/null | grep -- "-$x\.sock$" | sed 's/^/socket /'
	ip -o link show | awk -F': ' -v x="-$x" '$2 ~ x { print "link " $2 }'
	[ ! -e "$d" ] || echo "dir $d"
	grep -h -F "$d" /proc/[0-9]*/mountinfo 2>/dev/null | sort -u | sed 's/^/mount /'
	pgrep -a -f -- "-$x( |$)|$d" | sed 's/^/process /'
}

test_expect_success 'the demo runs the story and exits 0' '
	{ test_expect_code 0 bash "$DEMO" >out 2>err || { tail -n 20 out err; false; }; } &&
	grep "^== " out >steps &&
	cat >expect <<-\EOF &&
	== 0. Two machines and an internet between them
	== 1. Keys, made on each box, private halves never leave it
	== 2. Each box describes its side in config.yaml; render | link
	== 3. alice offers SFTP on her tunnel address only, port 2222
	== 4. Is alice there?
	== 5. Back up home'"'"'s data to alice through the tunnel, twice; restore it
	== teardown
	EOF
	test_cmp expect steps &&
	grep -q "^The restore matches: [1-9][0-9]* files, byte for byte\.$" out &&
	grep -q "^demo: done, the restore matched; nothing left behind\.$" out &&
	grep -q "^home# anemone-render config.yaml | anemone-link demohome-[0-9a-f]*$" out &&
	grep -q "^home# tar -C data -c \. | anemone-push .* sftp://nobody@10.8.0.2:2222/repo home$" out &&
	grep -E "^home@[0-9a-f]{16}: read " err >pushes &&
	test $(wc -l <pushes) = 2 &&
	sed -n 2p pushes | grep -qE " 0 of [0-9]+ chunks new, "
'

test_expect_success 'probe showed alice up' '
	sed -n "/^home# anemone-probe/,/^\$/p" out >probe &&
	grep -q "^alice	.*	up	-\$" probe
'

test_expect_success 'nothing left after a full run' '
	leftovers out >left &&
	test_must_be_empty left
'

# Ctrl-C: the terminal signals the whole foreground process group.  The
# demo runs in a process group of its own here (setsid), with SIGINT set
# back to its default (a script's background job starts with it ignored,
# and bash cannot trap a signal ignored at its start).
test_expect_success 'Ctrl-C midway: exit 130, nothing left' '
	setsid perl -e "\$SIG{INT} = q(DEFAULT); exec @ARGV" \
		bash "$DEMO" >out2 2>err2 &
	pid=$! &&
	wait_for 120 grep -q "anemone-push" out2 &&
	kill -INT -- -"$pid" &&
	rc=0 && wait "$pid" || rc=$? &&
	test "$rc" = 130 &&
	grep -q "^demo: failed (exit status 130); cleaned up\.$" err2 &&
	! grep -q "restore matches" out2 &&
	leftovers out2 >left &&
	test_must_be_empty left
'

# A restore that differs must fail the demo: a tar that damages one
# restored file on the way out.
test_expect_success 'a restore that differs: exit 1, nothing left' '
	mkdir shim &&
	cat >shim/tar <<-\EOF &&
	#!/bin/sh
	/bin/tar "$@" || exit
	case " $* " in
	*" -x"*) f=$(find restore -type f | sort | tail -n 1); echo damage >>"$f" ;;
	esac
	EOF
	chmod +x shim/tar &&
	PATH=$T/shim:$PATH test_expect_code 1 bash "$DEMO" >out3 2>err3 &&
	grep -q "^demo: the restore differs from the data$" err3 &&
	! grep -q "restore matches" out3 &&
	leftovers out3 >left &&
	test_must_be_empty left
'

done_testing
