#!/usr/bin/env bash
# anemone-keygen: keys agree with wg(8), RFC 7748 vectors, strict input,
# exact messages and exit codes, file modes, no overwriting.
. "$(dirname "$0")/lib.sh"
require_cmd wg ssh-keygen perl base64

# hex <-> base64 through perl and coreutils only
hex2b64() { perl -e 'print pack("H*", $ARGV[0])' "$1" | base64 -w0; echo; }
b642hex() { base64 -d | perl -e 'local $/; print unpack("H*", <STDIN>), "\n"'; }

# fresh: an empty working directory for one test
fresh() { rm -rf "$T/w" && mkdir "$T/w" && cd "$T/w"; }

cat >"$T/usage" <<'EOF'
usage: anemone-keygen [-t wg | psk | repo] [-o file]
       anemone-keygen -p
       anemone-keygen -t ssh -f file [-C comment]
EOF

test_expect_success 'a new private key is 44 base64 characters, clamped' '
	umask 077
	anemone-keygen >key 2>err &&
	test_must_be_empty err &&
	grep -qxE "[A-Za-z0-9+/]{43}=" key &&
	test $(wc -c <key) = 45 &&
	b642hex <key >hex &&
	perl -ne "my @b = unpack(\"C*\", pack(\"H*\", \$_));
		exit 1 if \$b[0] & 7 or (\$b[31] & 0xc0) != 0x40" hex
'

# 1,000 keys through both tools, in one loop each and one comparison: 100
# of ours (fresh, clamped) and 900 raw random strings, unclamped, which both
# tools must clamp.  Leak checking is off for this loop only (1,000 runs of
# the same path; every other test keeps it on): it halves the time.
test_expect_success '1,000 keys: anemone-keygen -p agrees with wg pubkey' '
	umask 077
	for i in $(seq 100); do anemone-keygen; done >keys &&
	test $(sort -u keys | wc -l) = 100 &&
	while read -r k; do echo "$k" | b642hex; done <keys >hex &&
	perl -ne "my @b = unpack(\"C*\", pack(\"H*\", \$_));
		exit 1 if \$b[0] & 7 or (\$b[31] & 0xc0) != 0x40" hex &&
	head -c 28800 /dev/urandom | perl -MMIME::Base64 -e "
		local \$/ = \\32;
		print encode_base64(\$_, \"\"), \"\\n\" while <STDIN>" >>keys &&
	test $(sort -u keys | wc -l) = 1000 &&
	while read -r k; do
		echo "$k" | ASAN_OPTIONS=detect_leaks=0 anemone-keygen -p
	done <keys >ours &&
	while read -r k; do echo "$k" | wg pubkey; done <keys >theirs &&
	test $(wc -l <theirs) = 1000 &&
	test_cmp theirs ours
'

test_expect_success 'anemone-keygen | anemone-keygen -p equals wg pubkey' '
	umask 077
	anemone-keygen >key &&
	anemone-keygen -p <key >ours &&
	wg pubkey <key >theirs &&
	test_cmp theirs ours &&
	anemone-keygen | tee key2 | anemone-keygen -p >ours2 &&
	wg pubkey <key2 >theirs2 &&
	test_cmp theirs2 ours2
'

# RFC 7748: 6.1 gives two key pairs (public = X25519(private, 9)); in 5.2
# the first step of the iteration is X25519(9, 9).  The private keys are not
# clamped: both tools clamp them.
test_expect_success 'RFC 7748 section 6.1 and 5.2 base-point vectors' '
	cat >vectors <<-EOF &&
	77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a 8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a
	5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f
	0900000000000000000000000000000000000000000000000000000000000000 422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079
	EOF
	while read -r priv pub; do
		hex2b64 "$priv" | anemone-keygen -p >out &&
		b642hex <out >got &&
		echo "$pub" >want &&
		test_cmp want got &&
		hex2b64 "$priv" | wg pubkey | b642hex >wg &&
		test_cmp want wg || exit 1
	done <vectors
'

test_expect_success 'the same vectors in base64, written out' '
	cat >expect <<-EOF &&
	hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=
	3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=
	EOF
	echo dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo= | anemone-keygen -p >actual &&
	echo XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os= | anemone-keygen -p >>actual &&
	test_cmp expect actual
'

test_expect_success 'a key without a final newline is accepted' '
	printf %s dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo= | anemone-keygen -p >actual &&
	echo hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo= >expect &&
	test_cmp expect actual
'

# bad_input NAME INPUT-FILE EXPECTED-MESSAGE: exit 1, one line, no stdout
n_bad=0
bad_input() {
	n_bad=$((n_bad + 1))
	printf 'anemone-keygen: %s\n' "$3" >"$T/expect.bad$n_bad"
	test_expect_success "-p rejects $1" "
		test_expect_code 1 anemone-keygen -p <'$2' >out 2>err &&
		test_must_be_empty out &&
		test_cmp expect.bad$n_bad err
	"
}

K=dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=
: >"$T/in.empty"
echo >"$T/in.blank"
echo "${K:0:43}" >"$T/in.short"
echo "${K}A" >"$T/in.long45"
echo "${K:0:43}A" >"$T/in.nopad"
echo "${K:0:42}==" >"$T/in.twopads"
echo "${K:0:20}=${K:21}" >"$T/in.padinside"
echo "${K:0:9}*${K:10}" >"$T/in.badchar"
echo "${K:0:9}-${K:10}" >"$T/in.urlsafe"
echo "${K:0:4} ${K:5}" >"$T/in.space"
printf '%s\t\n' "${K:0:43}" >"$T/in.tab"
echo " $K" >"$T/in.leading"
echo "$K x" >"$T/in.trailing"
printf '%s\r\n' "$K" >"$T/in.crlf"
printf '%s\n\n' "$K" >"$T/in.twolines"
printf '%s\n%s\n' "$K" "$K" >"$T/in.twokeys"
printf '%s\0%s\n' "${K:0:10}" "${K:11}" >"$T/in.nul"
echo AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB= >"$T/in.noncanon"
echo AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= >"$T/in.canon"
head -c 10000000 /dev/zero | tr '\0' A >"$T/in.10mb"
echo >>"$T/in.10mb"
{ echo "$K"; head -c 10000000 /dev/zero; } >"$T/in.10mbafter"

bad_input 'empty input' "$T/in.empty" \
	'stdin: empty input (want a 44-character base64 key)'
bad_input 'an empty line' "$T/in.blank" \
	'stdin:1:1: empty line (want a 44-character base64 key)'
bad_input 'a short key' "$T/in.short" \
	'stdin:1:44: key too short (43 characters, want 44)'
bad_input 'a long key' "$T/in.long45" \
	'stdin:1:45: trailing characters after the key'
bad_input 'a missing pad' "$T/in.nopad" \
	"stdin:1:44: want '=' (a key is 43 base64 characters and one '=')"
bad_input 'two pads' "$T/in.twopads" \
	'stdin:1:43: '"'='"' before the end of the key'
bad_input "'=' inside" "$T/in.padinside" \
	'stdin:1:21: '"'='"' before the end of the key'
bad_input 'a bad character' "$T/in.badchar" \
	'stdin:1:10: not a base64 character'
bad_input 'URL-safe base64' "$T/in.urlsafe" \
	'stdin:1:10: not a base64 character'
bad_input 'an embedded space' "$T/in.space" \
	'stdin:1:5: white space inside the key'
bad_input 'a tab' "$T/in.tab" \
	'stdin:1:44: white space inside the key'
bad_input 'a leading space' "$T/in.leading" \
	'stdin:1:1: white space inside the key'
bad_input 'trailing garbage' "$T/in.trailing" \
	'stdin:1:45: trailing characters after the key'
bad_input 'CR LF' "$T/in.crlf" \
	'stdin:1:45: trailing characters after the key'
bad_input 'a second line' "$T/in.twolines" \
	'stdin:2:1: trailing data after the key line'
bad_input 'two keys' "$T/in.twokeys" \
	'stdin:2:1: trailing data after the key line'
bad_input 'a NUL byte' "$T/in.nul" \
	'stdin:1:11: NUL byte inside the key'
bad_input 'non-canonical base64' "$T/in.noncanon" \
	'stdin:1:43: not canonical base64 (stray bits in the last character)'
bad_input 'a 10 MB line' "$T/in.10mb" \
	'stdin:1:45: key too long (want 44 characters)'
bad_input '10 MB after the key' "$T/in.10mbafter" \
	'stdin:2:1: trailing data after the key line'

test_expect_success 'the canonical neighbour of that key is accepted' '
	anemone-keygen -p <"$T/in.canon" >ours &&
	wg pubkey <"$T/in.canon" >theirs &&
	test_cmp theirs ours
'

test_expect_success 'a 10 MB line through a pipe fails at once, cleanly' '
	{ head -c 10000000 /dev/zero | tr "\0" A; echo; } |
		{ anemone-keygen -p >out 2>err; echo $? >rc; } &&
	echo 1 >expect && test_cmp expect rc &&
	test_must_be_empty out &&
	echo "anemone-keygen: stdin:1:45: key too long (want 44 characters)" >expect &&
	test_cmp expect err
'

test_expect_success '-p with stdin closed' '
	test_expect_code 1 anemone-keygen -p >out 2>err <&- &&
	test_must_be_empty out &&
	echo "anemone-keygen: stdin: Bad file descriptor" >expect &&
	test_cmp expect err
'

test_expect_success 'a full disk on stdout is an error' '
	test_expect_code 1 anemone-keygen -t psk >/dev/full 2>err &&
	echo "anemone-keygen: stdout: No space left on device" >expect &&
	test_cmp expect err &&
	test_expect_code 1 anemone-keygen -p <"$T/in.canon" >/dev/full 2>err &&
	test_cmp expect err
'

n_usage=0
usage_error() {
	n_usage=$((n_usage + 1))
	{
		[ -z "$3" ] || printf 'anemone-keygen: %s\n' "$3"
		cat "$T/usage"
	} >"$T/expect.usage$n_usage"
	test_expect_success "usage error: $1" "
		test_expect_code 2 anemone-keygen $2 >out 2>err </dev/null &&
		test_must_be_empty out &&
		test_cmp expect.usage$n_usage err
	"
}
usage_error 'unknown option' '-x' 'unknown option -x'
usage_error 'missing -t argument' '-t' 'option -t needs an argument'
usage_error 'unknown type' '-t rsa' "unknown key type 'rsa'"
usage_error 'an operand' 'extra' ''
usage_error '-p with -t' '-p -t psk' ''
usage_error 'ssh without -f' '-t ssh' ''
usage_error '-f without ssh' '-f x' ''
usage_error '-C without ssh' '-C x -t psk' ''
usage_error '-p with -f' '-p -f x' ''
usage_error '-p with -o' '-p -o x' ''
usage_error 'ssh with -o' '-t ssh -f x -o y' ''
usage_error 'missing -o argument' '-o' 'option -o needs an argument'

for t in psk repo; do
test_expect_success "-t $t: 32 random bytes, base64, not clamped" "
	umask 077
	for i in \$(seq 64); do anemone-keygen -t $t; done >keys 2>err &&
	test_must_be_empty err &&
	test \$(grep -cxE '[A-Za-z0-9+/]{43}=' keys) = 64 &&
	test \$(sort -u keys | wc -l) = 64 &&
	while read -r k; do echo \"\$k\" | b642hex; done <keys >hex &&
	perl -ne 'my @b = unpack(\"C*\", pack(\"H*\", \$_));
		\$low |= \$b[0] & 7; \$high |= \$b[31] & 0x80;
		END { exit !(\$low && \$high) }' hex
"
done

test_expect_success '-t wg is the default' '
	umask 077
	anemone-keygen -t wg >key 2>err &&
	test_must_be_empty err &&
	anemone-keygen -p <key >pub &&
	wg pubkey <key >expect &&
	test_cmp expect pub
'

# Warn, like wg genkey, when a secret goes to a file others may read.
warning='anemone-keygen: warning: writing a secret key to a file that group or others can read'
for t in wg psk repo; do
test_expect_success "-t $t warns about a readable stdout file" "
	fresh
	umask 022
	anemone-keygen -t $t >key 2>err &&
	echo '$warning (mode 644); consider umask 077' >expect &&
	test_cmp expect err &&
	grep -qxE '[A-Za-z0-9+/]{43}=' key &&
	umask 027 && rm key &&
	anemone-keygen -t $t >key 2>err &&
	echo '$warning (mode 640); consider umask 077' >expect &&
	test_cmp expect err
"
done

test_expect_success 'no warning for a private file, a pipe, or a public key' '
	fresh
	umask 077
	anemone-keygen >key 2>err && test_must_be_empty err &&
	anemone-keygen 2>err | cat >/dev/null && test_must_be_empty err &&
	umask 022
	anemone-keygen -p <key >pub 2>err && test_must_be_empty err
'

# -o FILE: the key file is made here, 0600 whatever the umask, never over
# anything, and removed again when anything fails.
test_expect_success '-o: a WireGuard key in a new 0600 file, its public key on stdout' '
	fresh
	umask 022
	anemone-keygen -o wg.key >pub 2>err &&
	test_must_be_empty err &&
	test "$(stat -c %a wg.key)" = 600 &&
	grep -qxE "[A-Za-z0-9+/]{43}=" wg.key &&
	test $(wc -c <wg.key) = 45 &&
	wg pubkey <wg.key >expect &&
	test_cmp expect pub &&
	b642hex <wg.key >hex &&
	perl -ne "my @b = unpack(\"C*\", pack(\"H*\", \$_));
		exit 1 if \$b[0] & 7 or (\$b[31] & 0xc0) != 0x40" hex
'

for t in psk repo; do
test_expect_success "-t $t -o: a new 0600 file, nothing on stdout" "
	fresh
	umask 000
	anemone-keygen -t $t -o k >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	test \"\$(stat -c %a k)\" = 600 &&
	grep -qxE '[A-Za-z0-9+/]{43}=' k &&
	anemone-keygen -t $t -o k2 >/dev/null &&
	! cmp -s k k2
"
done

test_expect_success '-o refuses to overwrite a file' '
	fresh
	echo precious >k &&
	chmod 644 k &&
	test_expect_code 1 anemone-keygen -t repo -o k >out 2>err &&
	test_must_be_empty out &&
	echo "anemone-keygen: k: already exists; not overwriting it" >expect &&
	test_cmp expect err &&
	echo precious >expect && test_cmp expect k &&
	test "$(stat -c %a k)" = 644
'

test_expect_success '-o does not follow a symbolic link, even dangling' '
	fresh
	ln -s target k &&
	test_expect_code 1 anemone-keygen -o k >out 2>err &&
	test_must_be_empty out &&
	echo "anemone-keygen: k: is a symbolic link; refused for a file that may hold a key (name the file itself)" >expect &&
	test_cmp expect err &&
	test ! -e target && test -L k
'

test_expect_success '-o into a missing directory' '
	fresh
	test_expect_code 1 anemone-keygen -t psk -o nodir/k >out 2>err &&
	test_must_be_empty out &&
	echo "anemone-keygen: nodir/k: No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success '-o: when the public key cannot be written, no key file stays' '
	fresh
	test_expect_code 1 anemone-keygen -o wg.key >/dev/full 2>err &&
	echo "anemone-keygen: stdout: No space left on device" >expect &&
	test_cmp expect err &&
	test ! -e wg.key
'

test_expect_success '-t ssh writes an ed25519 pair that ssh-keygen reads' '
	fresh
	umask 022
	anemone-keygen -t ssh -f id -C "me@laptop" >out 2>err &&
	test_must_be_empty err &&
	test "$(stat -c %a id)" = 600 &&
	test "$(stat -c %a id.pub)" = 644 &&
	head -n1 id >first &&
	echo "-----BEGIN OPENSSH PRIVATE KEY-----" >expect &&
	test_cmp expect first &&
	test_cmp id.pub out &&
	grep -qxE "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]{48} me@laptop" id.pub &&
	ssh-keygen -y -f id >derived &&
	cut -d" " -f1,2 id.pub >expect &&
	test_cmp expect derived &&
	ssh-keygen -l -f id >fp &&
	grep -q " me@laptop (ED25519)\$" fp
'

test_expect_success '-t ssh: the default comment is user@host' '
	fresh
	anemone-keygen -t ssh -f id >out &&
	echo "$(id -un)@$(hostname)" >expect &&
	cut -d" " -f3- id.pub >actual &&
	test_cmp expect actual
'

test_expect_success '-t ssh makes a new key each time' '
	fresh
	anemone-keygen -t ssh -f a >/dev/null &&
	anemone-keygen -t ssh -f b >/dev/null &&
	! cmp -s a b && ! cmp -s a.pub b.pub
'

test_expect_success '-t ssh refuses to overwrite the key' '
	fresh
	echo precious >id &&
	test_expect_code 1 anemone-keygen -t ssh -f id >out 2>err &&
	test_must_be_empty out &&
	echo "anemone-keygen: id: already exists; not overwriting it" >expect &&
	test_cmp expect err &&
	echo precious >expect && test_cmp expect id &&
	test ! -e id.pub
'

test_expect_success '-t ssh refuses to overwrite FILE.pub and leaves no key' '
	fresh
	echo precious >id.pub &&
	test_expect_code 1 anemone-keygen -t ssh -f id >out 2>err &&
	test_must_be_empty out &&
	echo "anemone-keygen: id.pub: already exists; not overwriting it" >expect &&
	test_cmp expect err &&
	echo precious >expect && test_cmp expect id.pub &&
	test ! -e id
'

test_expect_success '-t ssh does not follow a symbolic link, even dangling' '
	fresh
	ln -s target id &&
	test_expect_code 1 anemone-keygen -t ssh -f id >out 2>err &&
	echo "anemone-keygen: id: is a symbolic link; refused for a file that may hold a key (name the file itself)" >expect &&
	test_cmp expect err &&
	test ! -e target && test ! -e id.pub
'

test_expect_success '-t ssh into a missing directory' '
	fresh
	test_expect_code 1 anemone-keygen -t ssh -f nodir/id >out 2>err &&
	test_must_be_empty out &&
	echo "anemone-keygen: nodir/id: No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success '-t ssh rejects a comment of more than one line' '
	fresh
	test_expect_code 1 anemone-keygen -t ssh -f id -C "$(printf "a\nb")" >out 2>err &&
	echo "anemone-keygen: comment: must be one line" >expect &&
	test_cmp expect err &&
	test ! -e id && test ! -e id.pub
'

done_testing
