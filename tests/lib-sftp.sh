# tests/lib-sftp.sh: a real OpenSSH sshd for the SFTP tests, sourced after
# tests/lib.sh.  Never the host's sshd: each test file starts its own, in
# a namespace it made, with its own config, host key, port and keys, in a
# private mount namespace (a tmpfs on /mnt holds everything the server
# sees; another on /run gives it /run/sshd), killed by PID at exit.
#
#   sftp_setup                 namespaces $CL (client, 192.0.2.1) and $SV
#                              (server, 192.0.2.2), keys in $T/keys:
#                              client key $KEY, a second key $KEY2,
#                              known_hosts $KNOWN (empty)
#   sshd_start [SIZE] [MODE]   start sshd on $SSHD_ADDR:$SSHD_PORT (set
#                              SV, CL and SSHD_ADDR, default 192.0.2.2,
#                              to serve elsewhere, e.g. a tunnel); the
#                              server's /mnt is a tmpfs of SIZE (default
#                              256m).  MODE "root" (default): root logs in
#                              with $KEY, repository /mnt/repo; MODE
#                              "friend": the shipped friend config via
#                              scripts/friend-sshd.sh, user nobody, chroot
#                              /mnt/chroot, repository /repo in it.  MODE
#                              "debian": the drop-in alone (friend-sshd.sh
#                              -D), included first by a main config that
#                              lets root in with $KEY on every listener,
#                              as a Debian box would; the drop-in's own
#                              0.0.0.0:22 line is kept.
#                              Sets $SSHD_PID, $SRV (the server's /mnt seen
#                              from here), $URL (the repository URL).
#   sshd_stop                  kill it (by PID) and wait
#   sshd_sessions              PIDs of its per-connection children
#   on_client CMD...           run CMD in the client namespace
#   known_host                 print the known_hosts line for the server

require_root
require_cmd ip ssh-keygen /usr/sbin/sshd sftp unshare

SSHD_PORT=2222
: "${SSHD_ADDR:=192.0.2.2}"

sftp_setup() {
	netns_pair CL SV || return 1
	mkdir -p "$T/keys" "$HOME/.ssh"
	ssh-keygen -q -t ed25519 -N '' -C anemone-test -f "$T/keys/client"
	ssh-keygen -q -t ed25519 -N '' -C other -f "$T/keys/other"
	ssh-keygen -q -t ed25519 -N '' -C host -f "$T/keys/host"
	ssh-keygen -q -t ed25519 -N '' -C host2 -f "$T/keys/host2"
	KEY=$T/keys/client KEY2=$T/keys/other KNOWN=$T/keys/known_hosts
	: >"$KNOWN"
}

known_host() {
	printf '[%s]:%s %s\n' "$SSHD_ADDR" "$SSHD_PORT" "$(cut -d' ' -f1-2 "$T/keys/${1:-host}.pub")"
}

on_client() { ip netns exec "$CL" "$@"; }

sshd_start() {
	local size=${1:-256m} mode=${2:-root} hostkey=${3:-host} conf=$T/sshd_config
	if [ "$mode" = friend ]; then
		"$TOP/scripts/friend-sshd.sh" -a "$SSHD_ADDR" -p "$SSHD_PORT" \
		    -u nobody -r /mnt/chroot -k /mnt/etc/host \
		    -A /mnt/keys/nobody >"$conf" || return 1
		URL=sftp://nobody@$SSHD_ADDR:$SSHD_PORT/repo
	elif [ "$mode" = debian ]; then
		"$TOP/scripts/friend-sshd.sh" -D -a "$SSHD_ADDR" -p "$SSHD_PORT" \
		    -u nobody -r /mnt/chroot -A /mnt/keys/nobody \
		    >"$T/anemone.conf" || return 1
		cat >"$conf" <<-EOF
		Include $T/anemone.conf
		HostKey /mnt/etc/host
		PidFile none
		UsePAM no
		AuthorizedKeysFile /mnt/keys/%u
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		Subsystem sftp internal-sftp
		LogLevel VERBOSE
		EOF
		URL=sftp://nobody@$SSHD_ADDR:$SSHD_PORT/repo
	else
		cat >"$conf" <<-EOF
		ListenAddress $SSHD_ADDR:$SSHD_PORT
		HostKey /mnt/etc/host
		PidFile none
		UsePAM no
		StrictModes no
		AuthorizedKeysFile /mnt/keys/%u
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		Subsystem sftp internal-sftp
		MaxStartups 64
		MaxSessions 64
		LogLevel VERBOSE
		EOF
		URL=sftp://root@$SSHD_ADDR:$SSHD_PORT/mnt/repo
	fi
	cat >"$T/sshd-run.sh" <<-EOF
	set -e
	mount -t tmpfs -o size=$size,mode=0755 anemone-srv /mnt
	mount -t tmpfs -o size=1m,mode=0755 anemone-run /run
	mkdir -p /run/sshd /mnt/etc /mnt/keys /mnt/repo /mnt/chroot/repo
	install -m 0600 "$T/keys/$hostkey" /mnt/etc/host
	install -m 0644 "$T/keys/client.pub" /mnt/keys/root
	install -m 0644 "$T/keys/client.pub" /mnt/keys/nobody
	chown nobody: /mnt/chroot/repo
	exec /usr/sbin/sshd -D -e -f "$conf"
	EOF
	spawn_bg SSHD_PID ip netns exec "$SV" bash "$T/sshd-run.sh" 2>>"$T/sshd.log"
	SRV=/proc/$SSHD_PID/root/mnt
	wait_for 10 on_client bash -c "exec 3<>/dev/tcp/$SSHD_ADDR/$SSHD_PORT" || {
		cat "$T/sshd.log" >&2
		return 1
	}
}

sshd_sessions() { pgrep -P "$SSHD_PID" || true; }

sshd_stop() {
	[ -n "${SSHD_PID:-}" ] || return 0
	kill "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	SSHD_PID=
}
