#!/bin/sh
# nightly-backup.sh: back up DATA to every friend that is up right now.
#
# Reads /etc/anemone/backup.conf (shell syntax) for:
#   IFACE=wg0                         the WireGuard interface
#   MESH=/etc/anemone/mesh.yaml       names peers for anemone-probe -c
#   NAME=$(hostname)                  the snapshot name
#   DATA="/home /etc"                 what to back up
#   KEYFILE=/etc/anemone/repo.key     the repository key
#   FRIENDS="alice=sftp://backup@10.8.0.2:2222/home bob=sftp://..."
#   MAILTO=you@example.org            optional: mail on failure
# Exit status: 0 when every friend got the backup, 1 otherwise.
set -u
conf=${ANEMONE_BACKUP_CONF:-/etc/anemone/backup.conf}
. "$conf" || exit 1
: "${IFACE:=wg0}" "${NAME:=$(hostname)}" "${MAILTO:=}"
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
status=0

for f in $FRIENDS; do
	peer=${f%%=*}
	repo=${f#*=}
	if ! anemone-probe -q ${MESH:+-c "$MESH"} "$IFACE" "$peer"; then
		echo "$peer: down, skipped" >>"$log"
		status=1
		continue
	fi
	# shellcheck disable=SC2086
	if tar -cf - $DATA 2>>"$log" |
	    anemone-push -q -k "$KEYFILE" "$repo" "$NAME" >>"$log" 2>&1; then
		echo "$peer: ok" >>"$log"
	else
		echo "$peer: push failed" >>"$log"
		status=1
	fi
done

cat "$log"
if [ $status -ne 0 ] && [ -n "$MAILTO" ] && command -v mail >/dev/null; then
	mail -s "anemone: backup of $NAME failed" "$MAILTO" <"$log"
fi
exit $status
