#!/usr/bin/env bash
# make demo: the whole Anemone story on one machine, in two throw-away
# network namespaces, "home" (you) and "alice" (the friend who keeps your
# backups), joined by a veth pair standing in for the internet.  Every
# command is printed before it runs.  Everything the demo makes (the
# namespaces, their processes, the WireGuard sockets, the temporary
# folder) is removed at the end, on failure and on Ctrl-C too.
#
# Exit status: 0 only when the restored files match the originals.
#
# Environment: ANEMONE_BUILD (default build/rel) holds bin/ with the
# tools; DEMO_MB (default 300) is the size of the sample data in MiB.
set -u
export LC_ALL=C TZ=UTC
TOP=$(cd "$(dirname "$0")/.." && pwd)
: "${ANEMONE_BUILD:=$TOP/build/rel}"
: "${DEMO_MB:=300}"
export PATH="$ANEMONE_BUILD/bin:$PATH"
# wireguard-go, started by anemone-link when the kernel has no WireGuard
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1

die() {
	printf '\ndemo: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, WireGuard, sshd): sudo make demo"
for c in ip wireguard-go /usr/sbin/sshd ssh-keygen sha256sum tar \
    anemone-keygen anemone-render anemone-link anemone-probe \
    anemone-push anemone-pull; do
	command -v "$c" >/dev/null 2>&1 || die "$c: not found (make deps && make)"
done
case $DEMO_MB in
'' | *[!0-9]*) die "DEMO_MB=$DEMO_MB: want a number of MiB" ;;
esac

if [ -t 1 ]; then
	B=$(printf '\033[1m') N=$(printf '\033[0m')
else
	B= N=
fi

# ---- names, all unique to this run ---------------------------------------

for _ in 1 2 3 4 5 6 7 8; do
	X=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
	NS_HOME=anemone-demo-home-$X NS_ALICE=anemone-demo-alice-$X
	IF_HOME=demohome-$X IF_ALICE=demoalice-$X
	VETH_HOME=demonet-h-$X VETH_ALICE=demonet-a-$X
	ip netns list | grep -q -- "-$X\\b" ||
		[ -e "/var/run/wireguard/$IF_HOME.sock" ] ||
		[ -e "/var/run/wireguard/$IF_ALICE.sock" ] ||
		ip link show "$VETH_HOME" >/dev/null 2>&1 || break
	X=
done
[ -n "$X" ] || die "no free name after 8 tries"

D=
SSHD_PID=
CREATED_NS=
# folders that ip netns and wireguard-go make when missing: if they were,
# they go again at the end (when nothing else has come to use them)
[ -d /run/netns ] && HAD_NETNS=1 || HAD_NETNS=
[ -d /var/run/wireguard ] && HAD_WGDIR=1 || HAD_WGDIR=

# ---- teardown: always, whatever happened ---------------------------------

teardown() {
	local rc=$? ns ifn node pids i
	trap '' INT TERM HUP
	trap - EXIT
	printf '\n%s== teardown%s\n' "$B" "$N"
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	for ns in $CREATED_NS; do
		case $ns in
		"$NS_HOME") ifn=$IF_HOME node=home ;;
		*) ifn=$IF_ALICE node=alice ;;
		esac
		if ip -n "$ns" link show "$ifn" >/dev/null 2>&1; then
			echo "$node# anemone-link -d $ifn"
			ip netns exec "$ns" anemone-link -d "$ifn" 2>&1
		fi
		# whatever still runs in the namespace, by PID: TERM, then KILL
		for i in 1 2 3 4 5 6 7 8 9 10 11; do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -n "$pids" ] || break
			if [ "$i" -lt 11 ]; then
				# shellcheck disable=SC2086
				kill $pids 2>/dev/null
				sleep 0.2
			else
				# shellcheck disable=SC2086
				kill -9 $pids 2>/dev/null
				sleep 0.2
			fi
		done
		echo "host# ip netns del $ns"
		ip netns del "$ns"
		rm -f "/var/run/wireguard/$ifn.sock"
	done
	if [ -n "$D" ]; then
		echo "host# rm -rf $D"
		rm -rf "$D"
	fi
	if [ -z "$HAD_NETNS" ] && [ -d /run/netns ] &&
	    [ -z "$(ls -A /run/netns)" ]; then
		umount /run/netns 2>/dev/null
		rmdir /run/netns 2>/dev/null
	fi
	[ -n "$HAD_WGDIR" ] || rmdir /var/run/wireguard 2>/dev/null
	if [ "$rc" -eq 0 ]; then
		printf '%sdemo: done, the restore matched; nothing left behind.%s\n' "$B" "$N"
	else
		printf 'demo: failed (exit status %s); cleaned up.\n' "$rc" >&2
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- how commands are shown and run --------------------------------------

step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '%s\n' "$*"; }

# host CMD...: run in the root namespace (network set-up only)
host() {
	echo "host# $*"
	"$@" || die "failed: $*"
}

# on NODE 'COMMAND': run COMMAND (a shell line) in NODE's namespace, in
# NODE's folder, showing it as NODE's prompt
on() {
	local node=$1 ns
	shift
	case $node in
	home) ns=$NS_HOME ;;
	alice) ns=$NS_ALICE ;;
	esac
	echo "$node# $*"
	ip netns exec "$ns" bash -o pipefail -c "cd '$D/$node' && $*" ||
		die "$node: failed: $*"
}

# ---- 0. the stage ----------------------------------------------------------

step "0. Two machines and an internet between them"
say "home is you; alice keeps your backups.  Two network namespaces stand"
say "in for the two boxes, a veth pair for the internet between them."
D=$(mktemp -d /tmp/anemone-demo.XXXXXX) || die "mktemp failed"
mkdir -p "$D/home" "$D/alice"
host ip netns add "$NS_HOME"
CREATED_NS=$NS_HOME
host ip netns add "$NS_ALICE"
CREATED_NS="$NS_HOME $NS_ALICE"
host ip link add "$VETH_HOME" netns "$NS_HOME" type veth peer name "$VETH_ALICE" netns "$NS_ALICE"
host ip -n "$NS_HOME" addr add 192.0.2.1/24 dev "$VETH_HOME"
host ip -n "$NS_ALICE" addr add 192.0.2.2/24 dev "$VETH_ALICE"
for ns in "$NS_HOME" "$NS_ALICE"; do
	host ip -n "$ns" link set lo up
done
host ip -n "$NS_HOME" link set "$VETH_HOME" up
host ip -n "$NS_ALICE" link set "$VETH_ALICE" up

# ---- 1. keys ---------------------------------------------------------------

step "1. Keys, made on each box, private halves never leave it"
on home  'umask 077; anemone-keygen > wg.key'
on alice 'umask 077; anemone-keygen > wg.key'
on home  'anemone-keygen -p < wg.key > wg.pub; cat wg.pub'
on alice 'anemone-keygen -p < wg.key > wg.pub; cat wg.pub'
say "# the repository key encrypts the backups: keep a copy on paper"
on home  'umask 077; anemone-keygen -t repo > repo.key'
say "# an SSH key for logging in to alice's SFTP service"
on home  'anemone-keygen -t ssh -f id_anemone -C home'
PUB_HOME=$(cat "$D/home/wg.pub")
PUB_ALICE=$(cat "$D/alice/wg.pub")

# ---- 2. the tunnel ---------------------------------------------------------

step "2. Each box describes its side in config.yaml; render | link"
say "# the friends exchanged public keys, endpoints and tunnel addresses"
cat >"$D/home/config.yaml" <<EOF
interface:
  address: 10.8.0.1/24
  listen_port: 51820
  private_key_file: wg.key
peers:
  - name: alice
    public_key: "$PUB_ALICE"
    endpoint: "192.0.2.2:51820"
    allowed_ips: 10.8.0.2/32
EOF
cat >"$D/alice/config.yaml" <<EOF
interface:
  address: 10.8.0.2/24
  listen_port: 51820
  private_key_file: wg.key
peers:
  - name: home
    public_key: "$PUB_HOME"
    endpoint: "192.0.2.1:51820"
    allowed_ips: 10.8.0.1/32
EOF
on home  'cat config.yaml'
on home  "anemone-render config.yaml | anemone-link $IF_HOME"
on alice "anemone-render config.yaml | anemone-link $IF_ALICE"
on home  "ip -brief address show $IF_HOME"

# ---- 3. alice's SFTP service -----------------------------------------------

step "3. alice offers SFTP on her tunnel address only, port 2222"
say "# the shipped drop-in: chroot, SFTP only, append-only (no remove, no rename)"
on alice "grep -v -e '^#' -e '^\$' '$TOP/examples/sshd_config.d/anemone.conf'"
say "# (the demo borrows the user 'nobody' instead of adding an 'anemone' user;"
say "#  its sshd runs in a private mount namespace: a tmpfs on /srv holds the"
say "#  chroot /srv/anemone, the repository /srv/anemone/repo is a bind mount"
say "#  of $D/alice/store, and /run/sshd is a tmpfs too)"
on alice 'ssh-keygen -q -t ed25519 -N "" -C alice -f ssh_host_ed25519_key'
on alice "'$TOP/scripts/friend-sshd.sh' -a 10.8.0.2 -p 2222 -u nobody -r /srv/anemone -k /srv/etc/ssh_host_ed25519_key -A /srv/etc/anemone_authorized_keys > sshd_config"
say "# the repository's folders, made beforehand (the user cannot make usable ones)"
on alice 'mkdir -p store/packs store/index store/snapshots && chown -R nobody: store'
cp "$D/home/id_anemone.pub" "$D/alice/authorized_keys"
cat >"$D/alice/sshd.sh" <<END
set -e
mount -t tmpfs -o size=1m,mode=0755 anemone-demo /run
mkdir -p /run/sshd
mount -t tmpfs -o size=1m,mode=0755 anemone-demo /srv
mkdir -p /srv/etc /srv/anemone/repo
install -m 0600 '$D/alice/ssh_host_ed25519_key' /srv/etc/
install -m 0644 '$D/alice/authorized_keys' /srv/etc/anemone_authorized_keys
mount --bind '$D/alice/store' /srv/anemone/repo
exec /usr/sbin/sshd -D -e -f '$D/alice/sshd_config'
END
echo "alice# /usr/sbin/sshd -D -e -f sshd_config &"
ip netns exec "$NS_ALICE" bash "$D/alice/sshd.sh" 2>"$D/alice/sshd.log" &
SSHD_PID=$!
for i in $(seq 50); do
	ip netns exec "$NS_ALICE" ss -Hltn 'sport = :2222' | grep -q . && break
	kill -0 "$SSHD_PID" 2>/dev/null || { cat "$D/alice/sshd.log" >&2; die "sshd did not start"; }
	sleep 0.2
done
on alice "ss -Hltn 'sport = :2222'"
say "# alice tells home her host key's fingerprint (over the phone, say)"
on alice 'ssh-keygen -l -f ssh_host_ed25519_key.pub'
HOSTKEY=$(cut -d' ' -f1-2 "$D/alice/ssh_host_ed25519_key.pub")
on home  "echo '[10.8.0.2]:2222 $HOSTKEY' > known_hosts"

# ---- 4. probe ----------------------------------------------------------------

step "4. Is alice there?"
say "# (config.yaml names the peers)"
on home "anemone-probe -c config.yaml $IF_HOME"

# ---- 5. back up, twice; restore ------------------------------------------------

step "5. Back up home's data to alice through the tunnel, twice; restore it"
REPO=sftp://nobody@10.8.0.2:2222/repo
SFTP="-i id_anemone -o known_hosts=known_hosts"
photos=$(((DEMO_MB - 8) / 16))
[ "$photos" -ge 2 ] || photos=2
say "# sample data, made here: real text files (headers and licences),"
say "# $photos photos of 16 MiB (random bytes, as incompressible as JPEGs),"
say "# and a copy of the first photo in an old folder"
on home "mkdir -p data/docs data/photos data/old && cp -a /usr/include/linux /usr/share/common-licenses data/docs/"
on home "for i in \$(seq -w $photos); do head -c 16M /dev/urandom > data/photos/img-\$i.raw; done"
on home 'cp "data/photos/$(ls data/photos | head -n 1)" data/old/ && du -sh data && find data -type f | wc -l'
on home "tar -C data -c . | anemone-push -k repo.key $SFTP $REPO home"
on alice "du -sh store"
say "# the same data again: every chunk is already at alice, almost nothing is sent"
on home "tar -C data -c . | anemone-push -k repo.key $SFTP $REPO home"
on alice "du -sh store"
on home "anemone-pull -l -k repo.key $SFTP $REPO"
on home "mkdir restore && anemone-pull -k repo.key $SFTP $REPO home | tar -C restore -x"
say "# compare every file's SHA-256"
on home '(cd data && find . -type f -print0 | sort -z | xargs -0 sha256sum) > data.sha256'
on home '(cd restore && find . -type f -print0 | sort -z | xargs -0 sha256sum) > restore.sha256'
on home 'head -n 3 restore.sha256; sha256sum data.sha256 restore.sha256'
echo "home# cmp data.sha256 restore.sha256"
if ip netns exec "$NS_HOME" cmp "$D/home/data.sha256" "$D/home/restore.sha256"; then
	printf '%sThe restore matches: %s files, byte for byte.%s\n' "$B" \
		"$(wc -l <"$D/home/data.sha256")" "$N"
else
	diff "$D/home/data.sha256" "$D/home/restore.sha256" | head -20
	die "the restore differs from the data"
fi
exit 0
