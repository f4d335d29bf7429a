#!/bin/sh
# Check the dependency rules of lib/ (docs/ARCHITECTURE.md) from the
# #include lines, and print functions longer than MAXLINES (default 80).
#   scripts/layout-check.sh deps      one line per broken rule; exit 1 if any
#   scripts/layout-check.sh long      one line per long function; exit 1 if any
# Project headers are included by their path under lib/: "wg/wgdev.h".
set -eu
cd "$(dirname "$0")/.."
mode=${1:-deps}

# allowed FOLDER: the folders whose headers FOLDER may include ("." is base)
allowed() {
	case $1 in
	.)	echo "." ;;
	wg)	echo ". wg" ;;
	conf)	echo ". wg conf" ;;
	store)	echo ". store" ;;
	backup)	echo ". store backup" ;;
	*)	echo "unknown" ;;
	esac
}

deps() {
	# one awk pass over every file: FILE LINE HEADER for each project include
	# shellcheck disable=SC2046
	awk '/^#include "/ { h = $2; gsub(/"/, "", h); print FILENAME, FNR, h }' \
	    lib/*.[ch] lib/*/*.[ch] >"${TMPDIR:-/tmp}/layout.$$"
	out=$(while read -r f n h; do
		d=$(dirname "${f#lib/}")
		ok=$(allowed "$d")
		if [ "$ok" = unknown ]; then
			echo "$f: folder lib/$d has no rule in scripts/layout-check.sh"
			continue
		fi
		case $h in */*) hd=${h%%/*} ;; *) hd=. ;; esac
		case " $ok " in
		*" $hd "*) ;;
		*) echo "$f:$n: lib/$d must not include \"$h\"" ;;
		esac
		# a header must exist where the path says
		[ -e "lib/$h" ] || echo "$f:$n: \"$h\" is not lib/$h"
	done <"${TMPDIR:-/tmp}/layout.$$")
	rm -f "${TMPDIR:-/tmp}/layout.$$"
	[ -z "$out" ] || { echo "$out"; return 1; }
}

# A function starts at a line "name(" in column 0 after its type line and
# ends at the next "}" in column 0 (the project's style(9) layout).
long() {
	max=${MAXLINES:-80}
	files=$(ls lib/*.c lib/*/*.c anemone-*/*.c 2>/dev/null)
	# shellcheck disable=SC2086
	out=$(awk -v max="$max" '
	FNR == 1 { infn = 0 }
	/^[A-Za-z_][A-Za-z0-9_]*\(/ && !infn { name = $0; sub(/\(.*/, "", name); start = FNR; infn = 1; next }
	infn && /^}/ { n = FNR - start + 1; if (n > max) printf "%s:%d: %s is %d lines\n", FILENAME, start, name, n; infn = 0 }
	' $files | sort)
	[ -z "$out" ] || { echo "$out"; return 1; }
}

case $mode in
deps)	deps ;;
long)	long ;;
*)	echo "usage: $0 deps | long" >&2; exit 2 ;;
esac
