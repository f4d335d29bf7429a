# tests/lib.sh: sourced by every tests/*.t.  TAP output for prove.
#
# Run one file alone, as git's t/ does:
#   tests/push-pull.t                    TAP on stdout
#   tests/push-pull.t -v                 also each test's commands (set -x)
#                                        and output, passing or not
#   tests/push-pull.t -i                 stop at the first failure
#   tests/push-pull.t --run=3            only test 3 (others: ok # SKIP);
#                                        --run=1,3-5 lists and ranges,
#                                        --run=4- to the end
#   ANEMONE_KEEP=1 tests/push-pull.t     keep the trash directory $T
# Options combine (tests/push-pull.t -v -i --run=2-3).  A test selected by
# --run may need what earlier ones left behind: select those too.
#
#   test_expect_success 'title' 'body'   body runs in a subshell with set -e;
#                                        its output is shown only on failure
#   test_setup 'title' 'body'            setup later tests need: runs in this
#                                        shell (variables stay), always, and
#                                        a failure stops the file
#   test_must_fail CMD...                exit 1..125 expected (a crash fails)
#   test_expect_code N CMD...            exact exit status
#   test_cmp EXPECTED ACTUAL             diff -u
#   test_when_finished 'cmd'             cleanup after the current test
#   at_exit 'cmd'                        cleanup when the script ends (LIFO),
#                                        also on failure and on signals
#   require_root / require_cmd CMD...    skip the whole file with a reason
#   skip_all 'reason'
#   done_testing                         plan line; exit status
#
# Network helpers (always cleaned up):
#   netns_new VAR                        a fresh namespace, lo up; name in $VAR
#   netns_pair A B                       two namespaces joined by veth:
#                                        $A has 192.0.2.1/24, $B 192.0.2.2/24
#   spawn_bg VAR CMD...                  start CMD in the background, PID in
#                                        $VAR, killed (by PID) at exit
#   uniq_name PREFIX                     PREFIX plus a short unique suffix
#                                        (<= 15 chars with a short prefix)
#
# Environment: LC_ALL=C, TZ=UTC, HOME in a fresh trash directory $T (removed
# at exit; kept when ANEMONE_KEEP=1), XDG_STATE_HOME under it.  Binaries from $ANEMONE_BUILD/bin
# (default build/asan) come first in PATH.

set -u
export LC_ALL=C TZ=UTC
unset CDPATH GREP_OPTIONS
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${ANEMONE_BUILD:=$TOP/build/asan}"
export ANEMONE_BUILD TOP
export PATH="$ANEMONE_BUILD/bin:$PATH"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# -v, -i, --run=LIST: the .t file's own arguments, seen here as "$@".
opt_verbose=0 opt_immediate=0 opt_run=
for _arg in "$@"; do
	case $_arg in
	-v|--verbose)	opt_verbose=1 ;;
	-i|--immediate)	opt_immediate=1 ;;
	--run=*)	opt_run=${_arg#--run=} ;;
	*)	echo "Bail out! $0: unknown option $_arg (want -v, -i, --run=N,M-K)"
		exit 1 ;;
	esac
done
unset _arg
case $opt_run in
*[!0-9,-]*) echo "Bail out! $0: --run=$opt_run: want numbers and ranges, e.g. 1,3-5"
	exit 1 ;;
esac

# Every tool must be built, else one clear line instead of pages of 127s.
for _tool in "$TOP"/anemone-*/; do
	[ -d "$_tool" ] || continue
	_tool=${_tool%/}; _tool=${_tool##*/}
	if [ ! -x "$ANEMONE_BUILD/bin/$_tool" ]; then
		echo "Bail out! $_tool is not built in $ANEMONE_BUILD/bin: run" \
		    "make build-check (or set ANEMONE_BUILD to a build)"
		exit 1
	fi
done
unset _tool

T=$(mktemp -d /tmp/anemone-t.XXXXXX)
export T
export HOME="$T/home"
# the metadata cache of push and pull: never the host's /var/cache
export XDG_CACHE_HOME="$T/cache"
mkdir -p "$HOME"
# the clients' state files (docs/STATE.md): never the host's /var/lib
export XDG_STATE_HOME="$T/home/.local/state"
: >"$T/.at_exit"
: >"$T/.when_finished"
test_count=0
test_failed=0
TEST_PID=$$

# Cleanup commands live in files so that subshells can register them too.
at_exit() { printf '%s\n' "$1" >>"$T/.at_exit"; }
test_when_finished() { printf '%s\n' "$1" >>"$T/.when_finished"; }

_run_lifo() {
	# run each line of file $1 in reverse order, ignoring failures
	local f=$1 line
	[ -s "$f" ] || return 0
	tac "$f" >"$f.rev"
	: >"$f"
	while IFS= read -r line; do
		(eval "$line") >/dev/null 2>&1 || true
	done <"$f.rev"
	rm -f "$f.rev"
}

_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	[ "$$" = "$TEST_PID" ] || exit $rc
	_run_lifo "$T/.when_finished"
	_run_lifo "$T/.at_exit"
	if [ "${ANEMONE_KEEP:-0}" = 1 ]; then
		echo "# trash kept in $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# -v: trace to fd 9, a copy of the log, so that a body capturing a shell
# function's stderr (2>err) does not capture the trace too
_trace() { exec 9>&2; BASH_XTRACEFD=9; set -x; }

# _selected N: is test N in --run (all when it is empty)?
_selected() {
	local n=$1 item lo hi
	[ -n "$opt_run" ] || return 0
	for item in ${opt_run//,/ }; do
		case $item in
		*-*)	lo=${item%%-*} hi=${item#*-}
			[ "$n" -ge "${lo:-1}" ] && { [ -z "$hi" ] || [ "$n" -le "$hi" ]; } &&
			    return 0 ;;
		*)	[ "$n" -eq "$item" ] && return 0 ;;
		esac
	done
	return 1
}

test_expect_success() {
	local title=$1 body=$2 rc
	test_count=$((test_count + 1))
	if ! _selected $test_count; then
		echo "ok $test_count - $title # SKIP not in --run=$opt_run"
		return 0
	fi
	[ $opt_verbose = 0 ] || echo "# test $test_count: $title"
	( set -eu; cd "$T"; [ $opt_verbose = 0 ] || _trace; eval "$body" ) \
	    >"$T/.log" 2>&1 </dev/null
	rc=$?
	_run_lifo "$T/.when_finished"
	if [ $rc -eq 0 ]; then
		echo "ok $test_count - $title"
		[ $opt_verbose = 0 ] || sed -e 's/^/#    /' "$T/.log"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $title"
		sed -e 's/^/#    /' "$T/.log"
		echo "#    (exit status $rc)"
		if [ $opt_immediate = 1 ]; then
			echo "Bail out! -i: stopped after test $test_count" \
			    "(ANEMONE_KEEP=1 keeps the trash directory)"
			exit 1
		fi
	fi
}

# test_setup 'title' 'body': setup that later tests need (namespaces,
# servers, keys).  Like test_expect_success, but BODY runs in this shell,
# so its variables and background processes stay; it always runs, --run
# or not; and when it fails, the file stops there.
# a function: "return 1" works in BODY
_setup_body() { [ $opt_verbose = 0 ] || _trace; eval "$1"; }

test_setup() {
	local title=$1 body=$2 rc
	test_count=$((test_count + 1))
	[ $opt_verbose = 0 ] || echo "# test $test_count: $title"
	_setup_body "$body" >"$T/.log" 2>&1 </dev/null
	rc=$?
	{ set +x; } 2>/dev/null
	if [ $rc -eq 0 ]; then
		echo "ok $test_count - $title"
		[ $opt_verbose = 0 ] || sed -e 's/^/#    /' "$T/.log"
		return 0
	fi
	echo "not ok $test_count - $title"
	sed -e 's/^/#    /' "$T/.log"
	echo "#    (exit status $rc; the tests after it need it: stopping)"
	echo "1..$test_count"
	exit 1
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

test_must_fail() {
	local rc=0
	"$@" || rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ $rc -gt 125 ]; then
		echo "test_must_fail: '$*' died with status $rc" >&2
		return 1
	fi
	return 0
}

test_expect_code() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	if [ $rc -ne "$want" ]; then
		echo "test_expect_code: '$*' exited $rc, want $want" >&2
		return 1
	fi
	return 0
}

test_cmp() { diff -u "$1" "$2"; }

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

require_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"
	done
}

done_testing() {
	echo "1..$test_count"
	[ $test_failed -eq 0 ]
}

# Unique, short names: namespaces and wireguard-go sockets are global.
# The count lives in a file: uniq_name is mostly called as $(uniq_name X),
# a subshell, where a shell variable would never get past 1.
uniq_name() {
	local seq=0
	[ -s "$T/.uniq_seq" ] && read -r seq <"$T/.uniq_seq"
	seq=$((seq + 1))
	echo "$seq" >"$T/.uniq_seq"
	printf '%s%x%x%x' "$1" $(($$ % 65536)) $((RANDOM % 256)) $seq
}

netns_new() {
	local n
	n=$(uniq_name an)
	ip netns add "$n" || return 1
	at_exit "ip netns pids '$n' 2>/dev/null | xargs -r kill -9; ip netns del '$n'"
	ip -n "$n" link set lo up
	printf -v "$1" '%s' "$n"
}

netns_pair() {
	local a b va vb
	netns_new a || return 1
	netns_new b || return 1
	va=$(uniq_name va)
	vb=$(uniq_name vb)
	ip link add "$va" netns "$a" type veth peer name "$vb" netns "$b" || return 1
	ip -n "$a" addr add 192.0.2.1/24 dev "$va"
	ip -n "$b" addr add 192.0.2.2/24 dev "$vb"
	ip -n "$a" link set "$va" up
	ip -n "$b" link set "$vb" up
	printf -v "$1" '%s' "$a"
	printf -v "$2" '%s' "$b"
	VETH_A=$va VETH_B=$vb
}

spawn_bg() {
	local var=$1 pid
	shift
	"$@" &
	pid=$!
	at_exit "kill $pid; sleep 0.1; kill -9 $pid"
	printf -v "$var" '%s' "$pid"
}

# wait_for TIMEOUT_SECONDS CMD...: poll CMD every 0.1 s until it succeeds
wait_for() {
	local t=$1 i=0
	shift
	while [ $i -lt $((t * 10)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ---- helpers added by later issues (keep each block marked) ----

# keygen: test_must_be_empty FILE: FILE exists and is empty (else show it)
test_must_be_empty() {
	if [ ! -f "$1" ]; then
		echo "test_must_be_empty: '$1' is missing" >&2
		return 1
	elif [ -s "$1" ]; then
		echo "test_must_be_empty: '$1' is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}
