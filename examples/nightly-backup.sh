#!/bin/sh
# nightly-backup.sh: back up DATA to every friend that is up right now, in
# one push (the data is read once), then check the friends' health.
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
#   RATE=2M                           optional: upload cap, bytes per second
#   MAX_AGE=3d                        newest snapshot older: the run fails
#   PROM=/var/lib/prometheus/node-exporter/anemone.prom
#                                     optional: the health for node_exporter
#   MAILTO=you@example.org            optional: mail the log on failure
# A friend who is down is skipped, and counts as a failure; so does one
# whose newest snapshot called NAME is older than MAX_AGE (or missing)
# after the push.
# Exit status: 0 when every friend got the backup and is fresh, 1 otherwise.
set -u
conf=${ANEMONE_BACKUP_CONF:-/etc/anemone/backup.conf}
. "$conf" || exit 1
: "${IFACE:=wg0}" "${NAMES:=}" "${NAME:=$(hostname)}" "${MAILTO:=}"
: "${SSH_KEY:=}" "${KNOWN_HOSTS:=}" "${RATE:=}" "${MAX_AGE:=3d}" "${PROM:=}"
log=$(mktemp) || exit 1
out=$(mktemp) || exit 1
trap 'rm -f "$log" "$out"' EXIT
status=0
opts="-k $KEYFILE${SSH_KEY:+ -i $SSH_KEY}${KNOWN_HOSTS:+ -o known_hosts=$KNOWN_HOSTS}"

# the friends who answer the probe, as -r options; the others are logged
up= repos=
for f in $FRIENDS; do
	peer=${f%%=*}
	rc=0
	anemone-probe -q ${NAMES:+-c "$NAMES"} "$IFACE" "$peer" 2>>"$log" || rc=$?
	if [ $rc -eq 0 ]; then
		up="$up $f"
		repos="$repos -r ${f#*=}"
	elif [ $rc -eq 1 ]; then
		echo "$peer: down, skipped" >>"$log"
		status=1
	else
		echo "$peer: anemone-probe failed (exit status $rc), skipped" >>"$log"
		status=1
	fi
done
if [ -z "$up" ]; then
	echo "no friend is up: no backup" >>"$log"
	status=1
fi

# tar -C / with relative names: restores go wherever tar -x is told
set -f
set --
for d in $DATA; do
	set -- "$@" "${d#/}"
done

# One push to all of them.  anemone-push runs tar itself and writes the
# snapshot only when tar succeeds.  tar's status 1 is "a file changed as
# we read it" (a backup of a live system), a complete archive still; 2 or
# more is a failure, and then no snapshot is written anywhere.
if [ -n "$up" ]; then
	rc=0
	anemone-push -q $opts ${RATE:+-b "$RATE"} $repos "$NAME" -- \
	    sh -c 'tar -C / -cf - "$@"; [ $? -le 1 ]' tar "$@" \
	    >"$out" 2>>"$log" || rc=$?
	[ $rc -eq 0 ] || status=1
	# one "ID REPOSITORY" line per friend that got it (just "ID" when
	# there is one friend)
	for f in $up; do
		peer=${f%%=*} repo=${f#*=}
		id=$(awk -v r="$repo" -v n="$(echo $up | wc -w)" \
		    'NF == 2 && $2 == r || n == 1 && NF == 1 { print $1 }' "$out")
		if [ -n "$id" ]; then
			echo "$peer: ok, snapshot $NAME@$id" >>"$log"
		else
			echo "$peer: push failed, no snapshot written" >>"$log"
		fi
	done

	# the health of the friends who are up: stale or unreadable fails
	rc=0
	anemone-pull -S -a "$MAX_AGE" $opts $repos "$NAME" >"$out" 2>>"$log" ||
	    rc=$?
	if [ $rc -eq 0 ]; then
		echo "health: ok, no snapshot older than $MAX_AGE" >>"$log"
	else
		echo "health: check failed (exit status $rc)" >>"$log"
		status=1
	fi
	if [ -n "$PROM" ] && cp "$out" "$PROM.tmp"; then
		mv "$PROM.tmp" "$PROM"
	fi
fi
set +f

cat "$log"
if [ $status -ne 0 ] && [ -n "$MAILTO" ] && command -v mail >/dev/null; then
	mail -s "anemone: backup of $NAME failed" "$MAILTO" <"$log"
fi
exit $status
