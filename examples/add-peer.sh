#!/bin/sh
# add-peer.sh: print the mesh-file entry a new friend sends to the others.
#
#   add-peer.sh -n NAME -k WG_PRIVATE_KEY_FILE -a TUNNEL_ADDRESS
#               [-e ENDPOINT_HOST:PORT] [-l LISTEN_PORT] [-K KEEPALIVE]
#
# The private key never leaves the machine: only its public half is
# printed (computed with anemone-keygen -p).  Append the output to the
# shared mesh file under "nodes:", then every friend re-renders:
#   anemone-render -n ME -k /etc/anemone/wg.key mesh.yaml | anemone-link wg0
set -eu

usage() {
	echo "usage: add-peer.sh -n name -k keyfile -a address [-e host:port] [-l port] [-K keepalive]" >&2
	exit 2
}

name= key= addr= endpoint= port= keepalive=
while getopts n:k:a:e:l:K: opt; do
	case $opt in
	n) name=$OPTARG ;;
	k) key=$OPTARG ;;
	a) addr=$OPTARG ;;
	e) endpoint=$OPTARG ;;
	l) port=$OPTARG ;;
	K) keepalive=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] && [ -n "$name" ] && [ -n "$key" ] && [ -n "$addr" ] || usage

case $name in
*[!A-Za-z0-9._-]*|'') echo "add-peer.sh: $name: use letters, digits, '.', '_' and '-' only" >&2; exit 1 ;;
esac
case $addr in
*/*) ;;
*) addr=$addr/32 ;;
esac

pub=$(anemone-keygen -p <"$key") || exit 1

printf '  - name: %s\n' "$name"
printf '    public_key: "%s"\n' "$pub"
printf '    address: %s\n' "$addr"
[ -z "$endpoint" ] || printf '    endpoint: "%s"\n' "$endpoint"
[ -z "$port" ] || printf '    listen_port: %s\n' "$port"
[ -z "$keepalive" ] || printf '    persistent_keepalive: %s\n' "$keepalive"
