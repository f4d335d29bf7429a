# tests/lib-link.sh: helpers for the anemone-link tests (source after lib.sh).
#
#   link_keys                 fixed test keys K1..K5 (private), P1..P5 (public)
#   wg_state NS IF            `wg showconf` with peer sections sorted
#   link_forget NS IF         at exit: delete IF in NS and its UAPI socket

export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1

link_keys() {
	K1=4C1b66jBSi5oRsN/YOVfIJMpWYF75olLsQC76xSFU0o=
	P1=HV0SfbG05A415KNHrX2pbpu1TjrZhk+P5PppfuvDFCI=
	K2=cKCOQusVn2uhvvxUu/o/d2pB/fCKDWM0YcAOC2RUhlk=
	P2=pOI6a68mOa9GoMF2OWU97DbFxt1IibXvUWXTFkppOWs=
	P3=FQoTyPg3/x8FSbaWypbYcbrjmr3oHdUkuk7gVdWbplo=
	P4=0NcghH6JPjuyaxxZ3qjPt0pNFcI2RCC/kto8b4LJ8Fc=
	P5=FdgTbDX7vpcPD9ZMAJl+635KwB/7K5sBf+if20PBFzA=
	PSK=wqF4O8EfYPOraqXjpLJOr2H8DsjgUJD2hO8ozLJgcAE=
}

wg_state() {
	ip netns exec "$1" wg showconf "$2" >"$T/.showconf" || return 1
	awk 'BEGIN { RS = ""; ORS = "\001" } { gsub("\n", "\002"); print }' \
		"$T/.showconf" | tr '\001' '\n' | sort |
		awk '{ gsub("\002", "\n"); print; print "" }'
}

link_forget() {
	at_exit "ip netns exec '$1' anemone-link -d '$2'; rm -f '/var/run/wireguard/$2.sock'"
}
