# shellcheck shell=bash
# A private testnet of bitshares-core's real witness_node on loopback: one producing node with the
# 11 init witnesses and two API nodes joined to it over P2P, all from one genesis file that
# `bts-infra devnet --genesis` can run as well (same bytes, same chain id).
#
# Sourceable library (bash). Usage:
#   source tests/realnode/testnet.sh
#   tn_init WORKDIR                 # where binaries, genesis, data dirs and logs go
#   tn_unpack_witness_node          # $BTS_WITNESS_NODE (a binary or .xz) or ../shared/real-node/witness_node.xz
#   tn_write_genesis BTS_INFRA_BIN 1   # $TN_GENESIS: the devnet's genesis, block interval 1 s, timestamp now
#   tn_start                        # producer + 2 API nodes on free loopback ports
#   tn_wait_synced 60               # all three report the same head (bounded)
#   ...  $TN_WS (3 ws:// URLs), $TN_HTTP (3 http:// URLs), $TN_CHAIN_ID
#   tn_stop                         # SIGTERM, then SIGKILL after 15 s
#
# SAFETY: witness_node dials bitshares-core's public seed nodes unless told otherwise. tn_start
# refuses to run unless this process is in a network namespace with only the loopback device,
# and always passes --seed-nodes "[]" and loopback --p2p-endpoint/--rpc-endpoint.
# Every wait is bounded. Needs: xz, curl, jq, python3 (timestamp), iproute2 (ip, ss).

TN_DEV_WIF=5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3
TN_DEV_PUB=BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV
TN_NAMES=(p0 a1 a2)  # producer, API node 1, API node 2
TN_PIDS=()
TN_WS=()
TN_HTTP=()  # http:// URLs of the same endpoints (JSON-RPC over HTTP POST)
export TN_HTTP
TN_P2P_PORTS=()
TN_RPC_PORTS=()

tn_log() { echo "testnet: $*" >&2; }

# tn_init DIR: the testnet's directory (created).
tn_init() {
  TN_DIR=${1:?tn_init DIR}
  mkdir -p "$TN_DIR"
  TN_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
}

# tn_loopback_only: true when the only network device of this namespace is lo.
tn_loopback_only() {
  local devs
  devs=$(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}') || return 1
  [[ -n $devs && $devs == lo ]]
}

# tn_enter_loopback_netns SCRIPT [ARGS...]: makes sure the calling script runs in a network
# namespace whose only device is loopback, with lo up. Outside one it re-executes SCRIPT under
# `unshare --net` (with a user namespace when not root) and never returns; inside, it brings lo up
# and returns; if other devices are still visible there, it refuses (exit 2).
tn_enter_loopback_netns() {
  local script=${1:?tn_enter_loopback_netns SCRIPT [ARGS...]}
  shift
  if ! tn_loopback_only; then
    if [[ -n ${TN_IN_NETNS:-} ]]; then
      echo "FAIL: network devices other than lo after unshare; refusing to start witness_node" >&2
      ip -o link show >&2 || true
      exit 2
    fi
    command -v unshare >/dev/null || { echo "FAIL: unshare (util-linux) missing" >&2; exit 2; }
    export TN_IN_NETNS=1
    if [[ $(id -u) -eq 0 ]]; then
      exec unshare --net -- bash "$script" "$@"
    fi
    exec unshare --user --map-root-user --net -- bash "$script" "$@"
  fi
  ip link set lo up 2>/dev/null || true
  ip -o link show lo | grep -q '[<,]UP[,>]' || { echo "FAIL: cannot bring lo up" >&2; exit 2; }
  tn_loopback_only || { echo "FAIL: network devices other than lo; refusing" >&2; exit 2; }
}

# tn_unpack_witness_node: sets TN_WITNESS_NODE to a runnable witness_node in $TN_DIR/bin.
# $BTS_WITNESS_NODE may name the binary or its .xz; default ../shared/real-node/witness_node.xz
# relative to the repository root.
tn_unpack_witness_node() {
  local src=${BTS_WITNESS_NODE:-$TN_REPO/../shared/real-node/witness_node.xz}
  [[ -f $src ]] || { tn_log "no witness_node: $src missing (set BTS_WITNESS_NODE)"; return 1; }
  mkdir -p "$TN_DIR/bin"
  TN_WITNESS_NODE=$TN_DIR/bin/witness_node
  if [[ $src == *.xz ]]; then
    xz -dc "$src" >"$TN_WITNESS_NODE" || { tn_log "xz -dc $src failed"; return 1; }
  else
    cp "$src" "$TN_WITNESS_NODE"
  fi
  chmod +x "$TN_WITNESS_NODE"
  timeout 20 "$TN_WITNESS_NODE" --help >/dev/null 2>&1 ||
    { tn_log "$TN_WITNESS_NODE does not run (--help failed)"; return 1; }
}

# tn_write_genesis BTS_INFRA_BIN [BLOCK_INTERVAL]: writes $TN_GENESIS from `devnet --print-genesis`
# with initial_timestamp set to now rounded down to a multiple of 5 s (witness_node needs it
# divisible by 5, and a recent one avoids a long gap before the first slot), nathan a lifetime
# member. Sets TN_CHAIN_ID (sha256 of the file's bytes) and TN_BLOCK_INTERVAL.
tn_write_genesis() {
  local bin=${1:?tn_write_genesis BTS_INFRA_BIN [BLOCK_INTERVAL]}
  TN_BLOCK_INTERVAL=${2:-1}
  TN_GENESIS=$TN_DIR/genesis.json
  timeout 20 "$bin" devnet --print-genesis --block-interval "$TN_BLOCK_INTERVAL" \
    >"$TN_DIR/genesis.printed.json" || { tn_log "devnet --print-genesis failed"; return 1; }
  python3 - "$TN_DIR/genesis.printed.json" "$TN_GENESIS" <<'EOF' || return 1
import json, sys, time
src, dst = sys.argv[1], sys.argv[2]
g = json.load(open(src))
t = int(time.time()); t -= t % 5
g["initial_timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
for a in g.get("initial_accounts", []):
    if a.get("name") == "nathan":
        a["is_lifetime_member"] = True
with open(dst, "w") as f:
    json.dump(g, f, indent=2)
    f.write("\n")
EOF
  TN_CHAIN_ID=$(sha256sum "$TN_GENESIS" | awk '{print $1}')
}

# tn_port_free PORT: nobody listens on 127.0.0.1:PORT (TCP).
tn_port_free() {
  [[ -z $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
}

# tn_pick_ports: six free loopback ports from 13010 up (fixed within a fresh namespace).
tn_pick_ports() {
  local p=${TN_BASE_PORT:-13010} want=6 got=()
  while ((${#got[@]} < want)); do
    ((p < 65000)) || { tn_log "no free ports"; return 1; }
    tn_port_free "$p" && got+=("$p")
    p=$((p + 1))
  done
  TN_P2P_PORTS=("${got[0]}" "${got[2]}" "${got[4]}")
  TN_RPC_PORTS=("${got[1]}" "${got[3]}" "${got[5]}")
}

# tn_rpc PORT METHOD PARAMS_JSON: one database-API call over HTTP (3 s max); prints .result.
tn_rpc() {
  curl -s -m 3 -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"call\",\"params\":[\"database\",\"$2\",$3]}" \
    "http://127.0.0.1:$1" 2>/dev/null | jq -c '.result // empty' 2>/dev/null
}

# tn_head I: head block number of node I (0 producer, 1-2 API nodes), empty if it does not answer.
tn_head() {
  tn_rpc "${TN_RPC_PORTS[$1]}" get_dynamic_global_properties '[]' | jq -r '.head_block_number // empty'
}
tn_head_id() {
  tn_rpc "${TN_RPC_PORTS[$1]}" get_dynamic_global_properties '[]' | jq -r '.head_block_id // empty'
}

# tn_start: starts the three nodes. REQUIRES: tn_unpack_witness_node, tn_write_genesis.
tn_start() {
  tn_loopback_only || {
    tn_log "refusing to start witness_node: this network namespace has devices other than lo" \
      "($(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' '))"
    return 1
  }
  tn_pick_ports || return 1
  local i name args
  for i in 0 1 2; do
    name=${TN_NAMES[$i]}
    rm -rf "${TN_DIR:?}/$name"
    args=(-d "$TN_DIR/$name" --genesis-json "$TN_GENESIS" --seed-nodes "[]"
      --p2p-endpoint "127.0.0.1:${TN_P2P_PORTS[$i]}" --rpc-endpoint "127.0.0.1:${TN_RPC_PORTS[$i]}")
    if ((i == 0)); then
      args+=(--enable-stale-production --required-participation 0
        --private-key "[\"$TN_DEV_PUB\",\"$TN_DEV_WIF\"]")
      local w
      for w in $(seq 1 11); do args+=(--witness-id "\"1.6.$w\""); done
    else
      args+=(--seed-node "127.0.0.1:${TN_P2P_PORTS[0]}")
    fi
    "$TN_WITNESS_NODE" "${args[@]}" >"$TN_DIR/$name.log" 2>&1 &
    TN_PIDS[i]=$!
    TN_WS[i]="ws://127.0.0.1:${TN_RPC_PORTS[$i]}"
    TN_HTTP[i]="http://127.0.0.1:${TN_RPC_PORTS[$i]}"
    # The API nodes dial the producer once at startup and back off for a long time when it is
    # not listening yet (it spends about a second initializing the genesis state): they start
    # only once its P2P port listens and its API answers.
    if ((i == 0)); then
      local deadline=$((SECONDS + 30))
      until ! tn_port_free "${TN_P2P_PORTS[0]}" && [[ -n $(tn_head 0) ]]; do
        kill -0 "${TN_PIDS[0]}" 2>/dev/null || { tn_log "the producer exited: $(tail -3 "$TN_DIR/p0.log")"; return 1; }
        ((SECONDS < deadline)) || { tn_log "the producer's P2P/API not up within 30 s"; return 1; }
        sleep 0.2
      done
    fi
  done
  tn_log "started p0 (producer) ${TN_WS[0]} p2p ${TN_P2P_PORTS[0]}, a1 ${TN_WS[1]}, a2 ${TN_WS[2]}" \
    "(pids ${TN_PIDS[*]}; logs in $TN_DIR)"
}

# tn_alive: every node process is still running.
tn_alive() {
  local i
  for i in 0 1 2; do
    kill -0 "${TN_PIDS[$i]}" 2>/dev/null || { tn_log "${TN_NAMES[$i]} exited"; return 1; }
  done
}

# tn_wait_synced SECONDS [MIN_HEAD]: waits until all three nodes report the same head block id
# at a head >= MIN_HEAD (default 3) and the nodes' chain id is TN_CHAIN_ID. Prints the head.
tn_wait_synced() {
  local limit=${1:-60} min=${2:-3} deadline h0 x y z
  deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    tn_alive || return 1
    h0=$(tn_head 0)
    if [[ -n $h0 && $h0 -ge $min ]]; then
      x=$(tn_head_id 0); y=$(tn_head_id 1); z=$(tn_head_id 2)
      if [[ -n $x && $x == "$y" && $x == "$z" ]]; then
        local cid
        cid=$(tn_rpc "${TN_RPC_PORTS[1]}" get_chain_id '[]' | jq -r .)
        [[ $cid == "$TN_CHAIN_ID" ]] ||
          { tn_log "chain id $cid is not the genesis file's $TN_CHAIN_ID"; return 1; }
        echo "$h0"
        return 0
      fi
    fi
    sleep 0.5
  done
  tn_log "not synced within ${limit}s: heads $(tn_head 0)/$(tn_head 1)/$(tn_head 2)"
  return 1
}

# tn_heads: "H0 H1 H2", the three nodes' head block numbers now.
tn_heads() { echo "$(tn_head 0) $(tn_head 1) $(tn_head 2)"; }

# tn_stop: SIGTERM to every node, SIGKILL to those still running after 15 s.
tn_stop() {
  local i pid deadline
  for pid in "${TN_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 15))
  for pid in "${TN_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  TN_PIDS=()
}

# tn_logs_tail [N]: the last N lines of each node's log (for failures).
tn_logs_tail() {
  local name
  for name in "${TN_NAMES[@]}"; do
    [[ -f $TN_DIR/$name.log ]] && { echo "== $TN_DIR/$name.log"; tail -"${1:-20}" "$TN_DIR/$name.log"; }
  done
}
