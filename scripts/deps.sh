#!/bin/sh
# Install the Debian packages listed in scripts/packages.txt that are missing.
# Idempotent: prints "deps: nothing to do" when everything is present.
set -eu
list=$(dirname "$0")/packages.txt
missing=
for p in $(grep -v '^#' "$list"); do
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$s" in ii*) ;; *) missing="$missing $p" ;; esac
done
if [ -z "$missing" ]; then
	echo "deps: nothing to do"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run as root: sudo make deps)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
