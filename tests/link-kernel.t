#!/usr/bin/env bash
# anemone-link against kernel WireGuard (generic netlink backend): boot a
# Debian kernel under qemu (TCG) with an initramfs built here, run the
# link tests inside, read their TAP back from the serial console.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-link.sh"
require_cmd qemu-system-x86_64 busybox cpio gzip wg perl

# A kernel whose modules include WireGuard; not the realtime flavour
# when there is a choice.
KVER=
for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' |
	awk '{ print (/-rt-/ ? 1 : 0) "\t" $0 }' | sort -k1,1n -k2,2V | cut -f2); do
	if [ -r "/boot/vmlinuz-$k" ] && [ -r "/lib/modules/$k/modules.dep" ] &&
		grep -q 'wireguard\.ko' "/lib/modules/$k/modules.dep"; then
		KVER=$k
		break
	fi
done
[ -n "$KVER" ] || skip_all "no kernel with a WireGuard module in /boot (linux-image-amd64)"
busybox --list | grep -qx insmod || skip_all "busybox without insmod"
BIN=$ANEMONE_BUILD/bin/anemone-link
[ -x "$BIN" ] || skip_all "no $BIN"

link_keys
R=$T/root
test_setup 'setup: the root of the VM' 'mkdir -p "$R"/bin "$R"/mods "$R"/etc "$R"/t'

# Copy a binary and the shared libraries it loads, at the same paths.
copy_bin() {
	cp "$1" "$R/bin/" || return 1
	ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
	while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
}

build_initramfs() {
	local m dep
	cp "$(command -v busybox)" "$R/bin/busybox" &&
	copy_bin "$BIN" && copy_bin "$(command -v wg)" || return 1
	# wireguard.ko and its dependencies, in load order
	dep=$(grep '^kernel/drivers/net/wireguard/wireguard\.ko[^:]*:' \
		"/lib/modules/$KVER/modules.dep") || return 1
	: >"$R/mods/order"
	for m in $(echo "${dep#*:}" | tr ' ' '\n' | tac) "${dep%%:*}"; do
		local ko=${m##*/}
		ko=${ko%.xz}
		ko=${ko%.zst}
		case "$m" in
		*.xz) xz -dc "/lib/modules/$KVER/$m" ;;
		*.zst) zstd -qdc "/lib/modules/$KVER/$m" ;;
		*) cat "/lib/modules/$KVER/$m" ;;
		esac >"$R/mods/$ko" || return 1
		echo "$ko" >>"$R/mods/order"
	done
	cp "$TOP/tests/link-vm.sh" "$R/t/run.sh" &&
	cp "$TOP/tests/lib-link.sh" "$R/t/" &&
	# 1000 peers: enough for several SET messages and a multipart dump
	perl -MMIME::Base64 -e '
		print "[Interface]\nPrivateKey = $ARGV[0]\nListenPort = 51000\n";
		for my $i (1 .. 1000) {
			my $k = encode_base64(pack("NNNNNNNN", 0xa11ce000 + $i, $i, 7, 7, 7, 7, 7, $i), "");
			printf "\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.%d.%d.0/24, fd00:%x::/64\n",
			    $k, 100 + int($i / 256), $i % 256, $i;
			printf "Endpoint = 192.0.2.%d:%d\n", $i % 250 + 1, 1024 + $i if $i % 2;
		}' "$K1" >"$R/t/big.conf" &&
	cat >"$R/init" <<-'EOF' &&
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	export PATH=/bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	mount -t tmpfs tmp /tmp
	mkdir -p /var/run
	mount -t tmpfs run /var/run
	for m in $(cat /mods/order); do insmod /mods/$m 2>/tmp/insmod.err || cat /tmp/insmod.err; done
	ip link set lo up
	cd /t && sh ./run.sh
	poweroff -f
	EOF
	chmod +x "$R/init" &&
	mkdir -p "$R/proc" "$R/sys" "$R/dev" "$R/tmp" &&
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$T/initramfs.gz"
}

test_expect_success "initramfs for $KVER built under \$T" '
	build_initramfs &&
	test -s "$T/initramfs.gz"
'

# Boot; at most 5 minutes under TCG.  The VM's TAP lies between markers.
timeout 300 qemu-system-x86_64 -accel tcg -m 1024 -nographic -no-reboot \
	-kernel "/boot/vmlinuz-$KVER" -initrd "$T/initramfs.gz" \
	-append "console=ttyS0 quiet loglevel=0 panic=-1" \
	</dev/null >"$T/console" 2>&1
qemu_rc=$?
tr -d '\r' <"$T/console" | sed -n '/@@ANEMONE-BEGIN@@/,/^@@ANEMONE-END@@/p' >"$T/vm.tap"

test_expect_success 'the VM booted, loaded WireGuard and finished its tests' "
	grep -q '^@@ANEMONE-END@@' '$T/vm.tap' || {
		echo 'qemu exit status $qemu_rc; console tail:'
		tail -n 40 '$T/console'
		exit 1
	}
"

# Re-number the VM's results into this file's TAP stream.
while IFS= read -r line; do
	case "$line" in
	"ok "*)
		test_count=$((test_count + 1))
		echo "ok $test_count - kernel: ${line#* - }" ;;
	"not ok "*)
		test_count=$((test_count + 1))
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - kernel: ${line#* - }" ;;
	"#"*)
		echo "$line" ;;
	esac
done <"$T/vm.tap"

done_testing
