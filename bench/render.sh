#!/usr/bin/env bash
# bench/render.sh: render one node of a generated 1,000-node mesh file.
# Budget: well under 100 ms per run.  Side by side: the few lines of
# Python (PyYAML with libyaml) people would otherwise write to do the same
# without any validation.  Data is generated under /tmp and removed.
set -eu
umask 077
TOP=$(cd "$(dirname "$0")/.." && pwd)
: "${ANEMONE_BUILD:=$TOP/build/rel}"
BIN=$ANEMONE_BUILD/bin/anemone-render
N=${N:-1000}
RUNS=${RUNS:-30}
[ -x "$BIN" ] || { echo "render.sh: build $BIN first (make)" >&2; exit 1; }

D=$(mktemp -d /tmp/anemone-bench-render.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$D"' EXIT
install -m 600 "$TOP/tests/render/keys/a.key" "$D/self.key"

# the mesh: node 1 is us; every 2nd node has an endpoint, every 4th a network
{
	echo "nodes:"
	echo "  - name: n1"
	echo "    public_key: $(cat "$TOP/tests/render/keys/a.pub")"
	echo "    address: 10.8.0.1/16"
	echo "    listen_port: 51820"
	for ((i = 2; i <= N; i++)); do
		echo "  - name: n$i"
		echo "    public_key: \"$(head -c 32 /dev/urandom | base64)\""
		echo "    address: 10.8.$((i / 250)).$((i % 250 + 1))/32"
		if ((i % 2 == 0)); then
			echo "    endpoint: \"n$i.example.org:51820\""
		fi
		if ((i % 4 == 0)); then
			echo "    networks: [172.$((16 + i / 256)).$((i % 256)).0/24]"
			echo "    persistent_keepalive: 25"
		fi
	done
} >"$D/mesh.yaml"

# ms_per_run CMD...: "WALL CPU", mean ms per run over RUNS runs (CPU is
# user + system time, steadier than wall time on a busy machine)
ms_per_run() {
	local i TIMEFORMAT='%R %U %S'
	"$@" >/dev/null			# warm the cache
	{ time (for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null; done) ; } \
		2>"$D/time"
	awk -v n="$RUNS" '{ printf "%.1f %.1f\n", $1 * 1000 / n,
		($2 + $3) * 1000 / n }' "$D/time"
}

render() { "$BIN" -n n1 -k "$D/self.key" "$D/mesh.yaml"; }
"$BIN" -n n1 -k "$D/self.key" "$D/mesh.yaml" >"$D/out.conf"
peers=$(grep -c '^\[Peer\]' "$D/out.conf")
read -r ours ours_cpu <<<"$(ms_per_run render)"
size=$(($(wc -c <"$D/mesh.yaml") / 1024))

printf 'mesh: %d nodes, %d KiB; rendered %d peers; mean of %d runs\n' \
	"$N" "$size" "$peers" "$RUNS"
printf '%-40s %8s %8s\n' "" "wall ms" "cpu ms"
printf '%-40s %8s %8s   budget 100 ms: %s\n' "anemone-render -n n1" "$ours" \
	"$ours_cpu" "$(awk -v t="$ours" 'BEGIN { print (t < 100) ? "ok" : "OVER" }')"

if python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null; then
	cat >"$D/naive.py" <<'PY'
import sys, yaml
doc = yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)
me = next(n for n in doc["nodes"] if n["name"] == sys.argv[2])
key = open(sys.argv[3]).read().strip()
out = ["[Interface]", "Address = " + me["address"], "PrivateKey = " + key]
for n in doc["nodes"]:
    if n is me:
        continue
    ips = [n["address"].split("/")[0] + "/32"] + n.get("networks", [])
    out += ["", "# " + n["name"], "[Peer]", "PublicKey = " + n["public_key"]]
    if "endpoint" in n:
        out.append("Endpoint = " + n["endpoint"])
    out.append("AllowedIPs = " + ", ".join(ips))
print("\n".join(out))
PY
	naive() { python3 "$D/naive.py" "$D/mesh.yaml" n1 "$D/self.key"; }
	read -r theirs theirs_cpu <<<"$(ms_per_run naive)"
	printf '%-40s %8s %8s\n' "python3 + PyYAML (libyaml), no checks" \
		"$theirs" "$theirs_cpu"
	awk -v a="$ours" -v b="$theirs" -v c="$ours_cpu" -v d="$theirs_cpu" \
	    'BEGIN { printf "ratio python / anemone-render: wall %.1fx, cpu %.1fx\n",
		b / a, d / c }'
else
	echo "python3 with PyYAML not installed: no side-by-side run"
	theirs=-
fi
# one line for make bench's summary (scripts/bench.sh)
[ -z "${BENCH_SUMMARY:-}" ] || printf 'render\tone node of a %d-node mesh, vs python3+PyYAML\t%s ms\t%s ms\t%s\t< 100 ms: %s\n' \
	"$N" "$ours" "$theirs" \
	"$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b == "-") print "-"; else printf "%.1fx", b / a }')" \
	"$(awk -v t="$ours" 'BEGIN { print (t < 100) ? "ok" : "OVER" }')" >>"$BENCH_SUMMARY"
