#!/bin/sh
# nightly-backup.sh: back up DATA to every friend that is up right now.
#
# Reads /etc/anemone/backup.conf (shell syntax; ANEMONE_BACKUP_CONF names
# another file) for:
#   IFACE=wg0                         the WireGuard interface
#   NAMES=/etc/anemone/mesh.yaml      names the peers for anemone-probe -c:
#                                     the mesh file, config.yaml or wg0.conf
#   NAME=$(hostname)                  the snapshot name
#   DATA="/home /etc"                 what to back up (absolute paths)
#   KEYFILE=/etc/anemone/repo.key     the repository key
#   SSH_KEY=/root/.ssh/anemone        optional: the SSH key for the friends
#   KNOWN_HOSTS=/etc/anemone/known_hosts  optional: their host keys
#   FRIENDS="alice=sftp://anemone@10.8.0.2:2222/repo bob=sftp://..."
#   MAILTO=you@example.org            optional: mail the log on failure
# A friend who is down is skipped, and counts as a failure.
# Exit status: 0 when every friend got the backup, 1 otherwise.
set -u
conf=${ANEMONE_BACKUP_CONF:-/etc/anemone/backup.conf}
. "$conf" || exit 1
: "${IFACE:=wg0}" "${NAMES:=}" "${NAME:=$(hostname)}" "${MAILTO:=}"
: "${SSH_KEY:=}" "${KNOWN_HOSTS:=}"
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
status=0

# tar -C / with relative names: restores go wherever tar -x is told
set -f
set --
for d in $DATA; do
	set -- "$@" "${d#/}"
done
set +f

for f in $FRIENDS; do
	peer=${f%%=*}
	repo=${f#*=}
	rc=0
	anemone-probe -q ${NAMES:+-c "$NAMES"} "$IFACE" "$peer" 2>>"$log" || rc=$?
	if [ $rc -eq 1 ]; then
		echo "$peer: down, skipped" >>"$log"
		status=1
		continue
	elif [ $rc -ne 0 ]; then
		echo "$peer: anemone-probe failed (exit status $rc), skipped" >>"$log"
		status=1
		continue
	fi
	# anemone-push runs tar itself and writes the snapshot only when tar
	# succeeds.  tar's status 1 is "a file changed as we read it" (a
	# backup of a live system), a complete archive still; 2 or more is
	# a failure, and then no snapshot is written.
	if id=$(anemone-push -q -k "$KEYFILE" ${SSH_KEY:+-i "$SSH_KEY"} \
	    ${KNOWN_HOSTS:+-o known_hosts="$KNOWN_HOSTS"} "$repo" "$NAME" -- \
	    sh -c 'tar -C / -cf - "$@"; [ $? -le 1 ]' tar "$@" 2>>"$log"); then
		echo "$peer: ok, snapshot $NAME@$id" >>"$log"
	else
		echo "$peer: push failed, no snapshot written" >>"$log"
		status=1
	fi
done

cat "$log"
if [ $status -ne 0 ] && [ -n "$MAILTO" ] && command -v mail >/dev/null; then
	mail -s "anemone: backup of $NAME failed" "$MAILTO" <"$log"
fi
exit $status
