#!/usr/bin/env bash
# Starts a devnet and bitshares-core's witness_node on the same genesis inside a network
# namespace that has only loopback, runs tests/realnode/differential.js against both, stops
# both. For development; tests/realnode/run.sh starts its own nodes and calls differential.js.
#
#   tests/realnode/differential-local.sh [BTS_INFRA] [-- extra differential.js flags]
#
# BTS_INFRA defaults to build/bin/bts-infra. witness_node is unpacked from
# ../shared/real-node/witness_node.xz into $WORK (default /tmp/diffrn) unless $WITNESS_NODE
# names a binary. Ports: 14010 (p2p) and 14011 (rpc) for witness_node, 14020 for the devnet.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# Only loopback, no route anywhere else (re-executes this script under `unshare --net`).
# shellcheck source=tests/realnode/testnet.sh
source "$here/testnet.sh"
tn_enter_loopback_netns "$0" "$@"

bin=${1:-$root/build/bin/bts-infra}
[[ $# -gt 0 ]] && shift
[[ ${1:-} == -- ]] && shift
work=${WORK:-/tmp/diffrn}
mkdir -p "$work"
witness=${WITNESS_NODE:-$work/witness_node}
if [[ ! -x $witness ]]; then
  xz -dc "$root/../shared/real-node/witness_node.xz" > "$witness.tmp"
  chmod +x "$witness.tmp"
  mv "$witness.tmp" "$witness"
fi

run=$(mktemp -d "$work/run.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# One genesis for both: the devnet's built-in one with a recent initial_timestamp (divisible by 5).
"$bin" devnet --print-genesis --block-interval 1 > "$run/printed.json"
python3 - "$run/printed.json" "$run/genesis.json" <<'EOF'
import json, sys, time, datetime
g = json.load(open(sys.argv[1]))
t = int(time.time()) // 5 * 5 - 5
g["initial_timestamp"] = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
open(sys.argv[2], "w").write(json.dumps(g, indent=2) + "\n")
EOF

args=(-d "$run/p0" --genesis-json "$run/genesis.json" --seed-nodes "[]"
      --p2p-endpoint 127.0.0.1:14010 --rpc-endpoint 127.0.0.1:14011
      --enable-stale-production --required-participation 0
      --private-key '["BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV","5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3"]')
for i in $(seq 1 11); do args+=(--witness-id "\"1.6.$i\""); done
"$witness" "${args[@]}" > "$run/witness_node.log" 2>&1 &
pids+=($!)

"$bin" devnet --genesis "$run/genesis.json" --listen 127.0.0.1:14020 \
  > "$run/devnet.out" 2> "$run/devnet.log" &
pids+=($!)

# Both answer and have produced at least two blocks (bounded: 60 s).
head_of() {
  curl -s -m 2 -d '{"jsonrpc":"2.0","id":1,"method":"call","params":["database","get_dynamic_global_properties",[]]}' \
    "http://127.0.0.1:$1/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["head_block_number"])' 2>/dev/null || echo 0
}
for _ in $(seq 1 120); do
  if (( $(head_of 14011) >= 2 && $(head_of 14020) >= 2 )); then break; fi
  sleep 0.5
done
if (( $(head_of 14011) < 2 || $(head_of 14020) < 2 )); then
  echo "differential-local: nodes did not start (logs in $run)" >&2
  tail -20 "$run/witness_node.log" "$run/devnet.log" >&2 || true
  exit 1
fi

status=0
timeout 240 node "$here/differential.js" --bin "$bin" --devnet ws://127.0.0.1:14020 \
  --real ws://127.0.0.1:14011 "$@" || status=$?
echo "differential-local: logs in $run"
exit $status
