#!/usr/bin/env bash
# anemone-render: golden wg0.conf for the per-node and the mesh form, every
# refusal with its exact FILE:LINE:COL message and nothing on stdout, and
# wg itself as the oracle: wg-quick strip | wg setconf on a wireguard-go
# device in a namespace, then wg showconf.
. "$(dirname "$0")/lib.sh"

R=$T/r
test_setup 'setup: the fixtures, with the modes a checkout cannot keep' '
	cp -R "$TOP/tests/render" "$R" &&
	chmod 600 "$R"/keys/*.key "$R"/keys/*.psk &&
	cp "$R/keys/a.key" "$R/keys/open.key" &&
	chmod 640 "$R/keys/open.key" &&
	ln -s a.key "$R/keys/link.key" &&
	umask 077
'

# refuses MESSAGE CMD...: CMD exits 1, writes nothing to stdout and
# exactly the line MESSAGE to stderr
refuses() {
	local want=$1
	shift
	test_expect_code 1 "$@" >out 2>err &&
	test_cmp /dev/null out &&
	printf '%s\n' "$want" >expect &&
	test_cmp expect err
}

test_expect_success 'per-node form: golden wg0.conf' '
	cd "$R" &&
	anemone-render node.yaml >out 2>err &&
	cat >expect <<-\END &&
	[Interface]
	Address = 10.8.0.1/24
	ListenPort = 51820
	PrivateKey = SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=
	MTU = 1420

	# alice
	[Peer]
	PublicKey = w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2E=
	PresharedKey = o0kGBwx56pUIq7zKrR70kbNH8dtRGJ0sI4RESmS0tRw=
	Endpoint = alice.duckdns.org:51820
	AllowedIPs = 10.8.0.2/32
	PersistentKeepalive = 25

	# carol
	[Peer]
	PublicKey = Qdyx3CsHG5a31tP+GEa7v9v/2/JaYHrdOEqX0PXKJDg=
	AllowedIPs = 10.8.0.3/32, 192.168.3.0/24
	END
	test_cmp expect out &&
	test_cmp /dev/null err
'

test_expect_success 'every feature: golden wg0.conf' '
	cd "$R" &&
	anemone-render oracle.yaml >out 2>err &&
	cat >expect <<-\END &&
	[Interface]
	Address = 10.8.0.1/24, fd00:8::1/64
	ListenPort = 51820
	PrivateKey = SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=
	MTU = 1400
	FwMark = 0x2a

	# bob
	[Peer]
	PublicKey = w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2E=
	PresharedKey = o0kGBwx56pUIq7zKrR70kbNH8dtRGJ0sI4RESmS0tRw=
	Endpoint = 192.0.2.2:51821
	AllowedIPs = 10.8.0.2/32, fd00:8::2/128
	PersistentKeepalive = 25

	# carol
	[Peer]
	PublicKey = Qdyx3CsHG5a31tP+GEa7v9v/2/JaYHrdOEqX0PXKJDg=
	Endpoint = [2001:db8::3]:51820
	AllowedIPs = 10.8.0.3/32, 192.168.3.0/24, fd00:3::/48

	# dan
	[Peer]
	PublicKey = ZbRny0F/o72Iw1EZ/ZTMXzfTNZXVn9PIzkDDR/MEE1g=
	AllowedIPs = 10.8.0.4/32
	END
	test_cmp expect out &&
	test_cmp /dev/null err
'

test_expect_success 'byte-for-byte the same on every run, from stdin too' '
	cd "$R" &&
	anemone-render oracle.yaml >one &&
	anemone-render oracle.yaml >two &&
	anemone-render - <oracle.yaml >three &&
	anemone-render <oracle.yaml >four &&
	cmp one two && cmp one three && cmp one four
'

test_expect_success 'key files are relative to the YAML file, not the cwd' '
	mkdir -p elsewhere && cd elsewhere &&
	anemone-render "$R/node.yaml" >out &&
	grep -qx "PrivateKey = SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=" out
'

test_expect_success '-k overrides private_key_file' '
	cd "$R" &&
	anemone-render -k keys/d.key node.yaml >out &&
	grep -qx "PrivateKey = wBKWKkhG/NHUap5M2KkXEAVQjSwOsN1lE94Ih6K4L0Q=" out
'

test_expect_success 'private_key inline: accepted with a warning' '
	cd "$R" &&
	cat >inline.yaml <<-\END &&
	interface:
	  address: 10.8.0.1/24
	  private_key: "SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M="
	END
	anemone-render inline.yaml >out 2>err &&
	cat >expect <<-\END &&
	[Interface]
	Address = 10.8.0.1/24
	PrivateKey = SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=
	END
	test_cmp expect out &&
	cat >expect <<-\END &&
	anemone-render: inline.yaml:3:16: warning: private_key: the private key is in the YAML file; prefer private_key_file with mode 600
	END
	test_cmp expect err
'

test_expect_success 'warns when stdout is a file group or others can read' '
	cd "$R" &&
	rm -f open.conf && (umask 022 && anemone-render node.yaml >open.conf 2>err) &&
	cat >expect <<-\END &&
	anemone-render: warning: writing a private key to a file that group or others can read
	END
	test_cmp expect err &&
	anemone-render node.yaml 2>err | cat >/dev/null &&
	test_cmp /dev/null err &&
	rm -f closed.conf && anemone-render node.yaml >closed.conf 2>err &&
	test_cmp /dev/null err
'

test_expect_success 'mesh form: golden wg0.conf for node a (its private_key_file)' '
	cd "$R" &&
	anemone-render -n a mesh.yaml >out 2>err &&
	cat >expect <<-\END &&
	[Interface]
	Address = 10.8.0.1/24
	ListenPort = 51820
	PrivateKey = SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=

	# b
	[Peer]
	PublicKey = w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2E=
	Endpoint = 192.0.2.2:51821
	AllowedIPs = 10.8.0.2/32, fd00:8::2/128, 192.168.2.0/24

	# c
	[Peer]
	PublicKey = Qdyx3CsHG5a31tP+GEa7v9v/2/JaYHrdOEqX0PXKJDg=
	AllowedIPs = 10.8.0.3/32

	# d
	[Peer]
	PublicKey = ZbRny0F/o72Iw1EZ/ZTMXzfTNZXVn9PIzkDDR/MEE1g=
	Endpoint = [2001:db8::4]:51820
	AllowedIPs = 10.8.0.4/32, 192.168.4.0/24, fd00:4::/64
	END
	test_cmp expect out &&
	test_cmp /dev/null err
'

test_expect_success 'mesh form: golden wg0.conf for node c (-k, keepalive, MTU)' '
	cd "$R" &&
	anemone-render -n c -k keys/c.key mesh.yaml >out 2>err &&
	cat >expect <<-\END &&
	[Interface]
	Address = 10.8.0.3/32
	PrivateKey = IHribt1EErTTTfMxasW09muT+YQyr4a1tbh0fb577XQ=
	MTU = 1380

	# a
	[Peer]
	PublicKey = HOstPul9IvrV8Sohiiay9VQ5h+MtjiQmcvnpoK3kuH0=
	Endpoint = 192.0.2.1:51820
	AllowedIPs = 10.8.0.1/32
	PersistentKeepalive = 25

	# b
	[Peer]
	PublicKey = w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2E=
	Endpoint = 192.0.2.2:51821
	AllowedIPs = 10.8.0.2/32, fd00:8::2/128, 192.168.2.0/24
	PersistentKeepalive = 25

	# d
	[Peer]
	PublicKey = ZbRny0F/o72Iw1EZ/ZTMXzfTNZXVn9PIzkDDR/MEE1g=
	Endpoint = [2001:db8::4]:51820
	AllowedIPs = 10.8.0.4/32, 192.168.4.0/24, fd00:4::/64
	PersistentKeepalive = 25
	END
	test_cmp expect out &&
	test_cmp /dev/null err
'

test_expect_success 'mesh form: node d (IPv6 network, fwmark)' '
	cd "$R" &&
	anemone-render -n d -k keys/d.key mesh.yaml >out &&
	sed -n 1,5p out >head &&
	cat >expect <<-\END &&
	[Interface]
	Address = 10.8.0.4/32
	PrivateKey = wBKWKkhG/NHUap5M2KkXEAVQjSwOsN1lE94Ih6K4L0Q=
	FwMark = 0x1234

	END
	test_cmp expect head
'

test_expect_success 'mesh form: every node sees every other node once' '
	cd "$R" &&
	for n in a b c d; do
		anemone-render -n $n -k keys/$n.key mesh.yaml >$n.conf || exit 1
		test "$(grep -c "^\[Peer\]" $n.conf)" = 3 || exit 1
		for m in a b c d; do
			test $m = $n && continue
			grep -qx "PublicKey = $(cat keys/$m.pub)" $n.conf || exit 1
		done
		! grep -qx "PublicKey = $(cat keys/$n.pub)" $n.conf || exit 1
	done
'

test_expect_success 'relays: b reaches e through a (inferred), c through d (her via)' '
	cd "$R" &&
	anemone-render -n b -k keys/b.key relay.yaml >out 2>err &&
	test_must_be_empty err &&
	cat >expect <<-EOF &&
	[Interface]
	Address = 10.8.0.2/24
	PrivateKey = $(cat keys/b.key)

	# a
	[Peer]
	PublicKey = $(cat keys/a.pub)
	Endpoint = 192.0.2.1:51820
	AllowedIPs = 10.8.0.1/32, 10.8.0.5/32
	PersistentKeepalive = 25
	# relays e 10.8.0.5/32

	# d
	[Peer]
	PublicKey = $(cat keys/d.pub)
	Endpoint = 192.0.2.4:51820
	AllowedIPs = 10.8.0.4/32, 10.8.0.3/32, fd00:8::3/128, 192.168.3.0/24
	PersistentKeepalive = 25
	# relays c 10.8.0.3/32
	EOF
	test_cmp expect out
'

test_expect_success 'relays: c (via d) has d as her only peer' '
	cd "$R" &&
	anemone-render -n c -k keys/c.key relay.yaml >out &&
	grep -v "^PrivateKey" out >got &&
	cat >expect <<-EOF &&
	[Interface]
	Address = 10.8.0.3/24, fd00:8::3/64

	# d
	[Peer]
	PublicKey = $(cat keys/d.pub)
	Endpoint = 192.0.2.4:51820
	AllowedIPs = 10.8.0.4/32, 10.8.0.1/32, 10.8.0.2/32, 10.8.0.5/32
	PersistentKeepalive = 25
	# relays a 10.8.0.1/32
	# relays b 10.8.0.2/32
	# relays e 10.8.0.5/32
	EOF
	test_cmp expect got
'

test_expect_success 'relays: the relays keep every node as a peer and say they forward' '
	cd "$R" &&
	for n in a d; do
		anemone-render -n $n -k keys/$n.key relay.yaml >$n.conf &&
		sed -n 2,3p $n.conf >got &&
		printf "%s\n" "# relays between its peers: needs IP forwarding (sysctl net.ipv4.ip_forward=1," \
			"# and net.ipv6.conf.all.forwarding=1 for IPv6 addresses)" >expect &&
		test_cmp expect got || return 1
	done &&
	test "$(grep -c "^\[Peer\]" a.conf)" = 3 &&
	grep -qx "AllowedIPs = 10.8.0.4/32, 10.8.0.3/32, fd00:8::3/128, 192.168.3.0/24" a.conf &&
	test "$(grep -c "^\[Peer\]" d.conf)" = 4 &&
	! grep -q "^# relays [a-e] " d.conf &&
	anemone-render -n b -k keys/b.key relay.yaml | grep -c "^# relays between" >n || :
	test "$(cat n)" = 0
'

# Refusals: FILE, then the exact message; "-n a" for the mesh- files.
while IFS='	' read -r name msg; do
	case $name in
	mesh-*) args="-n a" ;;
	*) args= ;;
	esac
	printf 'anemone-render: %s.yaml:%s' "$name" "$msg" >"$T/expect.$name"
	test_expect_success "refuses $name" "
		cd '$R/bad' &&
		refuses \"\$(cat '$T/expect.$name')\" anemone-render $args $name.yaml
	"
done <<'END_OF_CASES'
alias	5:5: YAML aliases are not allowed
anchor	1:12: YAML anchors are not allowed
bad-address	2:12: address: bad IP address "10.8.0.300/24"
bad-cidr	2:26: address: bad prefix length in "fd00::1/129" (want 0..128)
bad-private-inline	3:16: private_key: not a WireGuard key (want 44 characters of base64 ending in '='; not shown)
bad-pubkey-bits	6:17: public_key: "w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2F=" is not a WireGuard key (want 44 characters of base64 ending in '=')
bad-pubkey	6:17: public_key: "w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2E" is not a WireGuard key (want 44 characters of base64 ending in '=')
both-private	4:16: private_key: give private_key_file or private_key, not both
dup-name	8:11: duplicate peer name "bob" (first on line 5)
dup-pubkey	9:17: public_key: peer "carol" has the same key as peer "bob" (line 6)
dup-yaml-key	5:3: duplicate key "mtu" (first at line 3, column 3)
empty	1:1: empty file (want "interface" and "peers", or "nodes")
endpoint-port	7:15: endpoint: bad port in endpoint "bob.example.org:0" (want 1..65535)
endpoint-v6	7:15: endpoint: bad endpoint "2001:db8::2:51820" (an IPv6 address needs brackets: [ADDRESS]:PORT)
host-bits	7:32: allowed_ips: 192.168.1.1/24 has host bits set (the network is 192.168.1.0/24)
keepalive-negative	8:27: persistent_keepalive: expected a number, got "-1"
keepalive-range	8:27: persistent_keepalive: 65536 is out of range (0..65535)
keyfile-dir	3:21: private_key_file: ../keys: not a regular file
keyfile-malformed	3:21: private_key_file: ../keys/bad.key: not a key (want one line of 44 base64 characters)
keyfile-missing	3:21: private_key_file: ../keys/nosuch.key: No such file or directory
keyfile-mode	3:21: private_key_file: ../keys/open.key: key file is readable by group or others (mode 640); run chmod 600 ../keys/open.key
keyfile-symlink	3:21: private_key_file: ../keys/link.key: is a symbolic link; refused for a file that may hold a key (name the file itself)
mesh-dup-address	7:14: 10.8.0.1/32 of node "b" overlaps 10.8.0.1/32 of node "a" (line 4): WireGuard routes an address to one peer only
mesh-empty	1:8: nodes: expected a list of nodes, got an empty list
mesh-interface	5:1: interface: a mesh file (one with "nodes") has no other top-level key
mesh-no-key	2:5: node "a" has no private_key_file: give its private key with -k FILE
mesh-overlap	8:16: 10.8.0.0/30 of node "b" overlaps 10.8.0.1/32 of node "a" (line 4): WireGuard routes an address to one peer only
mesh-via-loop	9:10: via: a loop of relays: "b" -> "c" -> "b"
mesh-via-no-endpoint	12:10: via: relay "b" has no endpoint (the nodes it relays for must be able to reach it; line 6)
mesh-via-self	10:10: via: node "b" cannot be its own relay
mesh-via-type	9:10: via: expected a string, got a list
mesh-via-unknown	9:10: via: no node named "zed"
mesh-private-key	5:5: private_key does not belong in a shared mesh file: use private_key_file or -k FILE
mesh-wrong-key	3:17: public_key: node "a": this is not the public key of the private key given
missing-address	2:3: interface: missing required key "address"
missing-interface	1:1: top level: missing required key "interface"
missing-private-key	2:3: interface: missing required key "private_key_file"
missing-public-key	5:5: peer: missing required key "public_key"
mtu-ipv6	3:8: mtu: 1000 is below 1280, the least IPv6 allows (address on line 2)
mtu-range	3:8: mtu: 100 is out of range (576..65535)
name-control	5:11: name: "b\x09ob" holds a control character
not-a-map	1:1: expected a mapping with "interface" and "peers", or "nodes", got a list
not-utf8	5:12: not valid UTF-8
nul	3:30: NUL byte in input
octal	3:16: listen_port: expected a number, got "051820"
overlap	10:32: 192.168.7.0/24 of peer "carol" overlaps 192.168.0.0/16 of peer "bob" (line 7): WireGuard routes an address to one peer only
own-key	6:17: public_key: peer "me" has this node's own public key
port-range	3:16: listen_port: 70000 is out of range (1..65535)
port-zero	3:16: listen_port: 0 is out of range (1..65535)
psk-missing	8:25: preshared_key_file: /nonexistent/bob.psk: No such file or directory
syntax	3:19: YAML: did not find expected ',' or ']' while parsing a flow sequence
tag	3:8: YAML tags are not allowed
two-docs	4:1: more than one YAML document
type-address	2:12: address: expected a string or a list, got a mapping
type-interface	1:12: interface: expected a mapping, got a scalar
type-name	5:11: name: expected a string, got a list
type-peers	5:3: peers: expected a list, got a mapping
type-port	3:16: listen_port: expected a number, got "fifty"
unknown-key-camel	6:5: unknown key "PublicKey" in peer (did you mean "public_key"?)
unknown-key-far	4:3: unknown key "colour" in interface (known: address, listen_port, private_key_file, private_key, mtu, fwmark)
unknown-key	3:3: unknown key "listen-port" in interface (did you mean "listen_port"?)
unknown-top	4:1: unknown key "peer" in the top level (did you mean "peers"?)
END_OF_CASES

test_expect_success 'refuses a node that is not in the mesh' '
	cd "$R/bad" &&
	refuses "anemone-render: mesh-no-key.yaml: no node named \"zed\"" anemone-render -n zed mesh-no-key.yaml
'

test_expect_success 'refuses a mesh file without -n' '
	cd "$R" &&
	refuses "anemone-render: mesh.yaml: a mesh file: name the node to render (-n NAME)" anemone-render mesh.yaml
'

test_expect_success 'refuses -n with a per-node file' '
	cd "$R" &&
	refuses "anemone-render: node.yaml: a node name was given, but this is a per-node file (it has no \"nodes\" list)" anemone-render -n a node.yaml
'

test_expect_success 'a bad -k key file is named, its content never shown' '
	cd "$R" &&
	printf "%s\n" "SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51" >short.key &&
	refuses "anemone-render: short.key: not a key (want one line of 44 base64 characters)" anemone-render -k short.key node.yaml
'

test_expect_success 'a bad inline private key is never echoed' '
	cd "$R/bad" &&
	test_must_fail anemone-render bad-private-inline.yaml 2>err &&
	grep -q "not shown" err &&
	! grep -q "SP/z0VUaRAW0" err
'

test_expect_success 'refuses input over 16 MiB, from a file or a pipe' '
	cd "$R" &&
	{ cat node.yaml; head -c $((16 << 20)) /dev/zero | tr "\0" "#"; } >big.yaml &&
	refuses "anemone-render: big.yaml: input too large (more than 16 MiB)" anemone-render big.yaml &&
	refuses "anemone-render: <stdin>: input too large (more than 16 MiB)" anemone-render <big.yaml &&
	rm -f big.yaml
'

test_expect_success 'refuses an alias bomb without expanding it' '
	cd "$R" &&
	cat >bomb.yaml <<-\END &&
	a: &a ["x","x","x","x","x","x","x","x","x"]
	b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
	c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
	END
	refuses "anemone-render: bomb.yaml:1:4: YAML anchors are not allowed" anemone-render bomb.yaml
'

test_expect_success 'refuses nesting deeper than 64 levels' '
	cd "$R" &&
	printf "%070d\n" 0 | tr 0 "[" >deep.yaml &&
	refuses "anemone-render: deep.yaml:1:65: nested too deeply (more than 64 levels)" anemone-render deep.yaml
'

test_expect_success 'refuses a control character with its place' '
	cd "$R" &&
	printf "interface:\n  address: 1\001\n" >ctl.yaml &&
	refuses "anemone-render: ctl.yaml:2:13: YAML: control characters are not allowed" anemone-render ctl.yaml
'

test_expect_success 'a missing input file' '
	cd "$R" &&
	refuses "anemone-render: nosuch.yaml: No such file or directory" anemone-render nosuch.yaml
'

# The YAML and the key files may hold private keys: never read through a
# symbolic link (keys/link.key is one; bad/keyfile-symlink names it).
test_expect_success 'refuses a symbolic link as the YAML file or -k key file' '
	cd "$R" &&
	ln -s node.yaml link.yaml &&
	refuses "anemone-render: link.yaml: is a symbolic link; refused for a file that may hold a key (name the file itself)" anemone-render link.yaml &&
	refuses "anemone-render: keys/link.key: is a symbolic link; refused for a file that may hold a key (name the file itself)" anemone-render -k keys/link.key node.yaml
'

# Inline keys reach libyaml as placeholders and are put back in the tree:
# every way to write a scalar, a BOM, CRLF, wide characters before them,
# and a key in a comment after a block scalar's "|-".
test_expect_success 'inline keys in every scalar style are read exactly' '
	cd "$R" &&
	K=SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M= &&
	P=dAeOq53gKLjOdeymbgUD+hwGzVXbS3Wsu+2NiT86Hzo= &&
	Q=w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2E= &&
	printf "\357\273\277# %s\r\ninterface: {address: 10.8.0.1/24, private_key: %s}\r\npeers:\r\n  - name: \"\303\251 %s\"\r\n    public_key: %s\r\n    allowed_ips: [10.8.0.2/32]\r\n    preshared_key: |-   # %s\r\n      %s\r\n  - {name: b, public_key: '"'"'%s'"'"', allowed_ips: 10.8.0.3/32, preshared_key: \"%s\"}\r\n" \
	    $P $K $P $P $Q $K $Q $K >styles.yaml &&
	anemone-render styles.yaml >out 2>/dev/null &&
	printf "[Interface]\nAddress = 10.8.0.1/24\nPrivateKey = %s\n\n# \303\251 %s\n[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.8.0.2/32\n\n# b\n[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.8.0.3/32\n" \
	    $K $P $P $K $Q $K >expect &&
	test_cmp expect out
'

# libyaml frees the scalars it grows with realloc without wiping them: it
# must never see a key.  A shim around yaml_parser_parse() aborts when the
# key is in libyaml'"'"'s input buffers or in a scalar it returns.
test_expect_success 'libyaml never sees an inline private key' '
	cd "$R" &&
	cat >shim.c <<-\END &&
	#define _GNU_SOURCE
	#include <dlfcn.h>
	#include <stdlib.h>
	#include <string.h>
	#include <yaml.h>
	static int
	holds(const void *p, const void *end, const char *k)
	{
		return p != NULL && memmem(p, (size_t)((const char *)end -
		    (const char *)p), k, strlen(k)) != NULL;
	}
	int
	yaml_parser_parse(yaml_parser_t *p, yaml_event_t *e)
	{
		int (*real)(yaml_parser_t *, yaml_event_t *) =
		    (int (*)(yaml_parser_t *, yaml_event_t *))dlsym(RTLD_NEXT,
		    "yaml_parser_parse");
		const char *k = getenv("SHIM_KEY");
		int r = real(p, e);

		if (holds(p->raw_buffer.start, p->raw_buffer.end, k) ||
		    holds(p->buffer.start, p->buffer.end, k) ||
		    (r && e->type == YAML_SCALAR_EVENT && holds(e->data.scalar.value,
		    e->data.scalar.value + e->data.scalar.length, k)))
			abort();
		return r;
	}
	END
	cc -shared -fPIC -o shim.so shim.c -ldl &&
	run() {
		SHIM_KEY=SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M= \
		ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 \
		LD_PRELOAD=$PWD/shim.so "$@"
	} &&
	printf "interface:\n  address: 10.8.0.1/24\n  private_key: %s\n" \
	    SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M= >key.yaml &&
	run anemone-render key.yaml >out 2>err &&
	grep -q "^PrivateKey = SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=$" out &&
	printf "a: |\n  SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=x\n" >nokey.yaml &&
	test_expect_code 134 run anemone-render nokey.yaml 2>/dev/null
'

test_expect_success 'usage errors exit 2' '
	cd "$R" &&
	cat >expect <<-\END &&
	usage: anemone-render [-k keyfile] [file]
	       anemone-render -n node [-k keyfile] meshfile
	END
	test_expect_code 2 anemone-render -x node.yaml >out 2>err &&
	test_cmp /dev/null out &&
	grep -v "invalid option" err >err2 &&
	test_cmp expect err2 &&
	test_expect_code 2 anemone-render node.yaml mesh.yaml >out 2>err &&
	test_cmp /dev/null out &&
	test_cmp expect err &&
	test_expect_code 2 anemone-render -n >out 2>err &&
	test_cmp /dev/null out
'

# --- wg as the oracle -------------------------------------------------

# wgnorm FILE: what wg setconf keeps, in a canonical order: wg-quick-only
# keys and comments dropped, the interface first, keys sorted within each
# section, allowed IPs sorted, peers sorted (wireguard-go lists its peers
# in no fixed order).
wgnorm() {
	awk '
	function sort(v, k,   i, j, t) {
		for (i = 1; i <= k; i++)
			for (j = i + 1; j <= k; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	}
	function flush(   i, line) {
		if (hdr == "") return
		sort(body, n)
		line = hdr
		for (i = 1; i <= n; i++) line = line "|" body[i]
		print (hdr == "[Interface]" ? "0" : "1") line
		hdr = ""; n = 0
	}
	/^[ \t]*(#|$)/ { next }
	/^\[/ { flush(); hdr = $0; next }
	/^(Address|MTU|DNS|Table|SaveConfig|PreUp|PostUp|PreDown|PostDown) =/ { next }
	/^AllowedIPs = / {
		k = split(substr($0, 14), ips, /, */)
		sort(ips, k)
		line = "AllowedIPs = " ips[1]
		for (i = 2; i <= k; i++) line = line ", " ips[i]
		body[++n] = line
		next
	}
	{ body[++n] = $0 }
	END { flush() }
	' "$1" | sort | cut -c2- | tr "|" "\n"
}

# wg_up NS IFNAME: a wireguard-go device in namespace NS, killed at exit
wg_up() {
	local pid
	WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 WG_PROCESS_FOREGROUND=1 \
		ip netns exec "$1" wireguard-go "$2" >/dev/null 2>&1 &
	pid=$!
	at_exit "kill $pid; sleep 0.2; kill -9 $pid; rm -f /var/run/wireguard/$2.sock"
	# the socket file appears before wireguard-go accepts on it; until it
	# does, wg falls back to the kernel ("Protocol not supported")
	wait_for 10 wg show "$2" listen-port
}

oracle='wg setconf accepts the output; wg showconf agrees'
meshping='a two-node mesh from the shared file handshakes and pings'
if [ "$(id -u)" != 0 ]; then
	test_skip "$oracle" 'needs root'
	test_skip "$meshping" 'needs root'
elif ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null ||
    ! command -v wg-quick >/dev/null || [ ! -c /dev/net/tun ]; then
	test_skip "$oracle" 'needs wireguard-go, wg, wg-quick and /dev/net/tun'
	test_skip "$meshping" 'needs wireguard-go, wg, wg-quick and /dev/net/tun'
else
	netns_new NS1
	IF1=$(uniq_name wgr)
	test_expect_success "$oracle" '
		wg_up "$NS1" "$IF1" &&
		cd "$R" &&
		anemone-render oracle.yaml >"$IF1.conf" &&
		wg-quick strip "$PWD/$IF1.conf" >stripped.conf &&
		ip netns exec "$NS1" wg setconf "$IF1" stripped.conf &&
		ip netns exec "$NS1" wg showconf "$IF1" >shown &&
		cat >expect <<-\END &&
		[Interface]
		ListenPort = 51820
		FwMark = 0x2a
		PrivateKey = SP/z0VUaRAW0fgRPPhimHHCwWCVjJT5dpfb41f+O51M=

		[Peer]
		PublicKey = w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2E=
		PresharedKey = o0kGBwx56pUIq7zKrR70kbNH8dtRGJ0sI4RESmS0tRw=
		AllowedIPs = 10.8.0.2/32, fd00:8::2/128
		Endpoint = 192.0.2.2:51821
		PersistentKeepalive = 25

		[Peer]
		PublicKey = Qdyx3CsHG5a31tP+GEa7v9v/2/JaYHrdOEqX0PXKJDg=
		AllowedIPs = 10.8.0.3/32, 192.168.3.0/24, fd00:3::/48
		Endpoint = [2001:db8::3]:51820

		[Peer]
		PublicKey = ZbRny0F/o72Iw1EZ/ZTMXzfTNZXVn9PIzkDDR/MEE1g=
		AllowedIPs = 10.8.0.4/32
		END
		wgnorm expect >want &&
		wgnorm shown >got &&
		test_cmp want got &&
		wgnorm "$IF1.conf" >rendered &&
		test_cmp rendered got
	'

	netns_pair NSA NSB
	IFA=$(uniq_name wga)
	IFB=$(uniq_name wgb)
	test_expect_success "$meshping" '
		wg_up "$NSA" "$IFA" && wg_up "$NSB" "$IFB" &&
		cd "$R" &&
		anemone-render -n a mesh.yaml >"$IFA.conf" &&
		anemone-render -n b mesh.yaml >"$IFB.conf" &&
		wg-quick strip "$PWD/$IFA.conf" >a.stripped &&
		wg-quick strip "$PWD/$IFB.conf" >b.stripped &&
		ip netns exec "$NSA" wg setconf "$IFA" a.stripped &&
		ip netns exec "$NSB" wg setconf "$IFB" b.stripped &&
		ip -n "$NSA" addr add 10.8.0.1/24 dev "$IFA" &&
		ip -n "$NSB" addr add 10.8.0.2/24 dev "$IFB" &&
		ip -n "$NSA" link set "$IFA" up &&
		ip -n "$NSB" link set "$IFB" up &&
		wait_for 10 ip netns exec "$NSA" ping -c 1 -W 1 10.8.0.2 &&
		ip netns exec "$NSB" ping -c 1 -W 2 10.8.0.1 &&
		ip netns exec "$NSA" wg show "$IFA" latest-handshakes >hs &&
		grep -q "^w7ufx8kDjXW4M+r2WCxeSkFGAj1+ofDWMa6YehF6k2E=	[1-9]" hs
	'
fi

done_testing
