#!/usr/bin/env bash
# The real-node suite: bts-infra against bitshares-core's own witness_node on a private testnet
# (one producer with the 11 init witnesses, two API nodes over P2P; tests/realnode/testnet.sh).
#
# Usage: tests/realnode/run.sh BTS_INFRA_BINARY      (make test-realnode)
#
# Needs witness_node: $BTS_WITNESS_NODE (the binary or its .xz) or ../shared/real-node/witness_node.xz
# next to the repository. Needs root (or unprivileged user namespaces): the suite re-executes
# itself under `unshare --net`, so everything runs in a network namespace whose only device is
# loopback, and witness_node always gets --seed-nodes "[]" and 127.0.0.1 endpoints: it cannot
# reach the internet. Every wait is bounded; the whole suite stops itself after 11.5 minutes
# and stops every process it started on exit.
#
# Steps (one `ok NAME: numbers` or `FAIL NAME: why` line each), then `N passed, M failed`:
#   testnet, provision, provision-again, fee-budget-refused, preset-<each of the six>,
#   rejection-shape, search-dry-accounts, propagation-late, fleet, head-lag, uptime, report,
#   run-command, differential.
# The work directory (logs, run directories, stores) is kept on failure, or always with
# BTS_REALNODE_KEEP=1; BTS_REALNODE_WORK=DIR picks it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:?usage: tests/realnode/run.sh BTS_INFRA_BINARY}
[[ $bin == /* ]] || bin=$PWD/$bin

# shellcheck source=tests/realnode/testnet.sh
source "$here/testnet.sh"

# --- a loopback-only network namespace, or refuse --------------------------------------------
tn_enter_loopback_netns "${BASH_SOURCE[0]}" "$bin"

if [[ -n ${BTS_REALNODE_WORK:-} ]]; then
  work=$BTS_REALNODE_WORK; keep_work=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/bts-realnode.XXXXXX"); keep_work=${BTS_REALNODE_KEEP:-}
fi
mkdir -p "$work/steps" "$work/runs" "$work/bin"
# A private copy of the binary: a rebuild of the tree during the suite must not change it. Where
# builds take /tmp/bts-build.lock, the copy waits (bounded) for a running build to end.
copy_bin() { [[ -x $bin ]] || { echo "FAIL: $bin is not an executable" >&2; return 2; }; cp "$bin" "$work/bin/bts-infra"; }
if [[ -e /tmp/bts-build.lock ]]; then
  t0=$SECONDS
  exec 4</tmp/bts-build.lock
  flock -s -w 900 4 || echo "a build still holds /tmp/bts-build.lock after 900 s; copying anyway" >&2
  ((SECONDS - t0 < 5)) || echo "waited $((SECONDS - t0)) s for a build to finish (/tmp/bts-build.lock)" >&2
  copy_bin || exit 2
  exec 4<&-
else
  copy_bin || exit 2
fi
bin=$work/bin/bts-infra
"$bin" --help >/dev/null 2>&1 || { echo "FAIL: $bin does not run" >&2; exit 2; }

suite_start=$SECONDS
SUITE_LIMIT=${BTS_REALNODE_LIMIT:-690}  # 11.5 min; the suite must finish within 12
tn_init "$work/testnet"
umask 077
exec 3>&1  # result lines go to fd 3 (the terminal) from inside steps whose output is logged

passed=0
failed=0
extra_pids_file=$work/pids
: >"$extra_pids_file"

# track PID: stopped (TERM, then KILL) by the cleanup at exit.
track() { echo "$1" >>"$extra_pids_file"; }
stop_pid() {  # PID [SECONDS]: TERM, wait up to SECONDS (default 10), then KILL
  local pid=$1 limit=${2:-10} deadline
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
# stop_tree PID: PID and all its descendants (by parent pid), TERM, then KILL after 5 s.
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}
stop_tree() {
  local pids p deadline
  pids="$1 $(descendants "$1" | tr '\n' ' ')"
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  deadline=$((SECONDS + 5))
  for p in $pids; do
    while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$p" 2>/dev/null
  done
  wait "$1" 2>/dev/null
  return 0
}
cleanup() {
  local rc=$? pid
  trap - EXIT TERM INT
  set +e  # every stop below is attempted
  [[ -n ${watchdog_pid:-} ]] && kill "$watchdog_pid" 2>/dev/null
  [[ -n ${step_pid:-} ]] && stop_tree "$step_pid"  # interrupted during a step: its commands first
  while read -r pid; do [[ -n $pid ]] && stop_pid "$pid" 5; done <"$extra_pids_file"
  tn_stop
  if ((failed > 0 || rc != 0)) || [[ -n $keep_work ]]; then
    rm -f "$work/bin/bts-infra" "$work/testnet/bin/witness_node"  # the copies: ~500 MB
    echo "work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
interrupted() {
  echo "FAIL ${STEP:-suite}: interrupted (suite limit ${SUITE_LIMIT} s, or a signal)" >&3
  failed=$((failed + 1))
  echo "$passed passed, $failed failed"
  exit 124
}
trap interrupted TERM INT
# The watchdog: bounded even if a step's own timeout failed.
(
  trap 'kill "$sleep_pid" 2>/dev/null; exit 0' TERM
  sleep "$SUITE_LIMIT" &
  sleep_pid=$!
  wait "$sleep_pid" && kill -TERM $$ 2>/dev/null
) &
watchdog_pid=$!
step_pid=""

# ok MESSAGE / fail MESSAGE inside a step (fail ends the step).
ok() { echo "ok $STEP: $*" | tee -a "$work/steps/$STEP.result" >&3; }
fail() { echo "FAIL $STEP: $*" | tee -a "$work/steps/$STEP.result" >&3; exit 1; }

# run_step NAME FUNCTION [ARGS]: runs FUNCTION in a subshell (set -e), its output in
# steps/NAME.log; a step that ends without an ok or FAIL line fails with its exit code.
run_step() {
  STEP=$1; shift
  local result=$work/steps/$STEP.result rc=0 t0=$SECONDS
  : >"$result"
  echo "--- $STEP ($((SECONDS - suite_start)) s into the suite)" >&2
  # In the background and waited for, so that the suite's TERM trap runs at once (the cleanup
  # then stops the step's processes).
  ("$@") >"$work/steps/$STEP.log" 2>&1 &
  step_pid=$!
  wait "$step_pid" || rc=$?
  step_pid=""
  if grep -q '^FAIL' "$result"; then
    failed=$((failed + 1))
  elif ((rc != 0)); then
    echo "FAIL $STEP: exited $rc after $((SECONDS - t0)) s (log: $work/steps/$STEP.log)" >&3
    failed=$((failed + 1))
  elif grep -q '^ok' "$result"; then
    passed=$((passed + 1))
  else
    echo "FAIL $STEP: no result" >&3
    failed=$((failed + 1))
  fi
  if grep -q '^FAIL' "$result" || ((rc != 0)); then
    echo "    last lines of $work/steps/$STEP.log:" >&2
    tail -15 "$work/steps/$STEP.log" | sed 's/^/    | /' >&2
  fi
  echo "    ($((SECONDS - t0)) s)" >&2
}

# j FILE FILTER: one jq value.
j() { jq -r "$2" "$1"; }

# check_run NAME DIR [MAX_REJECTED]: the counts of DIR/summary.json add up, no more than
# MAX_REJECTED rejected (default 0), >= 99% of accepted included. Sets RUN_NUMBERS.
check_run() {
  local name=$1 s=$2/summary.json max_rej=${3:-0}
  [[ -s $s ]] || fail "$name: no summary.json"
  local sent acc rej una inc
  sent=$(j "$s" .totals.sent); acc=$(j "$s" .totals.accepted)
  rej=$(j "$s" .totals.rejected); una=$(j "$s" .totals.unanswered); inc=$(j "$s" .totals.included)
  ((sent > 0)) || fail "$name: nothing sent"
  ((sent == acc + rej + una)) || fail "$name: sent $sent != accepted $acc + rejected $rej + unanswered $una"
  ((rej <= max_rej)) ||
    fail "$name: $rej rejected (allowed $max_rej): $(jq -c '.totals.rejected_by_reason' "$s")"
  ((una == 0)) || fail "$name: $una unanswered"
  ((inc * 100 >= acc * 99)) || fail "$name: only $inc of $acc accepted included"
  RUN_NUMBERS="sent $sent accepted $acc rejected $rej unanswered $una included $inc"
  RUN_NUMBERS+=" inclusion p99 $(( $(jq -r '.latency_us.inclusion_corrected.p99 // 0' "$s") / 1000 )) ms"
}

wif_file=$work/nathan.wif
echo "$TN_DEV_WIF" >"$wif_file"
chmod 600 "$wif_file"
accounts=$work/accounts.txt
store=$work/results.db

# wait_accounts FILE SECONDS: every account of FILE exists on all three nodes. witness_node's
# database API answers from its pending state, so the node `beacon provision` talked to shows the
# accounts before they are in a block; the others only once the block has reached them.
wait_accounts() {
  local names want i n deadline=$((SECONDS + $2))
  names=$(awk '!/^#/ && NF {printf "%s\"%s\"", (n++ ? "," : ""), $1}' "$1")
  want=$(awk '!/^#/ && NF' "$1" | wc -l)
  for i in 0 1 2; do
    while :; do
      n=$(tn_rpc "${TN_RPC_PORTS[$i]}" lookup_account_names "[[$names]]" | jq '[.[] | select(. != null)] | length')
      [[ ${n:-0} -ge $want ]] && break
      ((SECONDS < deadline)) || fail "${TN_NAMES[$i]} shows ${n:-0} of the $want accounts of $1 after $2 s"
      sleep 0.5
    done
  done
}

# ops_on_chain FILE TYPE: operations of TYPE (1 limit_order_create, 2 limit_order_cancel) in
# the history of FILE's accounts (a1's history API, at most 100 per account).
ops_on_chain() {
  local name total=0 n
  while read -r name; do
    n=$(curl -s -m 3 -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"call\",\"params\":[\"history\",\"get_account_history_operations\",[\"$name\",$2,\"1.11.0\",\"1.11.0\",100]]}" \
      "http://127.0.0.1:${TN_RPC_PORTS[1]}" | jq '.result | length' 2>/dev/null)
    total=$((total + ${n:-0}))
  done < <(awk '!/^#/ && NF {print $1}' "$1")
  echo "$total"
}

# node_flags I...: --node URL --node-load proc:PID for the given testnet nodes.
node_flags() {
  local i
  for i in "$@"; do NODE_FLAGS+=(--node "${TN_WS[$i]}" --node-load "proc:${TN_PIDS[$i]}"); done
}

# ================================================================================================
# The testnet runs in this shell (its pids are needed by every step and by the cleanup), so this
# step reports with returns instead of fail's exit.
start_testnet() {
  STEP=testnet
  : >"$work/steps/testnet.result"
  echo "--- testnet" >&2
  local why="" head t0=$SECONDS
  if ! tn_unpack_witness_node; then why="cannot unpack witness_node"
  elif ! tn_write_genesis "$bin" 1; then why="cannot write the genesis"
  elif ! tn_start; then why="cannot start the testnet"
  elif ! head=$(tn_wait_synced 60 3); then why="nodes not synced: heads $(tn_heads)"
  fi
  if [[ -n $why ]]; then
    echo "FAIL testnet: $why" | tee -a "$work/steps/testnet.result" >&3
    failed=$((failed + 1))
    return 1
  fi
  ok "producer + 2 API nodes at head $head after $((SECONDS - t0)) s, chain ${TN_CHAIN_ID:0:12}," \
    "nodes ${TN_WS[*]}"
  passed=$((passed + 1))
}

# a. accounts from a fresh genesis: the genesis balance claimed, accounts created and funded,
# the BEACON asset created and issued; then the same again changes nothing.
step_provision() {
  timeout 120 "$bin" beacon provision --node "${TN_WS[1]}" --registrar nathan \
    --registrar-wif-file "$wif_file" --claim-genesis-balance --count 6 --prefix rn- \
    --accounts-out "$accounts" >"$work/provision1.json" || fail "beacon provision exited $? ($(tail -1 "$work/steps/provision.log"))"
  cat "$work/provision1.json"
  local created funded issued asset
  created=$(j "$work/provision1.json" .created); funded=$(j "$work/provision1.json" .funded)
  issued=$(j "$work/provision1.json" .issued); asset=$(j "$work/provision1.json" .asset_created)
  ((created == 6)) || fail "created $created accounts, not 6"
  [[ $asset == true ]] || fail "asset not created"
  [[ $(wc -l <"$accounts") -ge 6 ]] || fail "accounts file has fewer than 6 lines"
  [[ $(stat -c %a "$accounts") == 600 ]] || fail "accounts file mode $(stat -c %a "$accounts")"
  grep -q "$TN_DEV_WIF" "$work/provision1.json" "$work/steps/provision.log" && fail "the registrar key was printed"
  local claimed claimed_core bal t0=$SECONDS
  claimed=$(j "$work/provision1.json" .claimed); claimed_core=$(j "$work/provision1.json" .claimed_core)
  ((claimed == 1)) || fail "claimed $claimed genesis balances, not 1"
  [[ $claimed_core == 1000000000000000 ]] || fail "claimed $claimed_core, not nathan's 10^15"
  # Every node knows the accounts (the producer and the other API node, over P2P).
  wait_accounts "$accounts" 20
  # 1.15.0 is gone once claimed in full.
  bal=$(tn_rpc "${TN_RPC_PORTS[0]}" get_objects '[["1.15.0"]]' | jq -r '.[0].balance.amount // "gone"')
  [[ $bal == gone ]] || fail "genesis balance 1.15.0 still holds $bal"
  ok "claimed $claimed balance ($claimed_core), created $created funded $funded issued $issued" \
    "asset_created $asset; 1.15.0 gone; accounts on all 3 nodes $((SECONDS - t0)) s after provision returned"
}

step_provision_again() {
  timeout 120 "$bin" beacon provision --node "${TN_WS[2]}" --registrar nathan \
    --registrar-wif-file "$wif_file" --claim-genesis-balance --count 6 --prefix rn- \
    --accounts-out "$accounts" >"$work/provision2.json" || fail "second beacon provision exited $?"
  cat "$work/provision2.json"
  local existing created funded issued asset claimed
  claimed=$(j "$work/provision2.json" .claimed)
  ((claimed == 0)) || fail "claimed $claimed genesis balances again"
  existing=$(j "$work/provision2.json" .existing); created=$(j "$work/provision2.json" .created)
  funded=$(j "$work/provision2.json" .funded); issued=$(j "$work/provision2.json" .issued)
  asset=$(j "$work/provision2.json" .asset_created)
  if ! ((existing == 6 && created == 0 && funded == 0 && issued == 0)) || [[ $asset != false ]]; then
    fail "not idempotent: existing $existing created $created funded $funded issued $issued asset_created $asset"
  fi
  ok "claimed $claimed existing $existing created $created funded $funded issued $issued asset_created $asset"
}

# b. every preset, scaled to the real node: a small rate for a short time; the rate searches
# with a tiny start/step/max so that they end after three short steps (max is held).
write_scenario() {  # PRESET OUT: the preset's file with the load scaled down
  local preset=$1 out=$2
  python3 - "$repo/scenarios/$preset.yaml" "$out" "$preset" <<'EOF'
import re, sys
src, dst, preset = sys.argv[1:4]
text = open(src).read()
loads = {
    # 400 transactions: those signed once the first orders are known (after the 256 signed
    # before the start) cancel real orders.
    "real-user-activity": "load: {kind: constant, rate: 20}\nduration: 20s",
    "max-transfer-one-node": "load: {search: {start: 4, step: 4, step_duration: 4s, max: 12, hold: 3s, settle: 3s}}",
    "max-transfer-many-nodes": "load: {search: {start: 4, step: 4, step_duration: 4s, max: 12, hold: 3s, settle: 3s}}",
    "max-limit-order-many-nodes": "load: {search: {start: 4, step: 4, step_duration: 4s, max: 12, hold: 3s, settle: 3s}}",
    "max-many-transfers-many-nodes": "load: {search: {start: 2, step: 2, step_duration: 4s, max: 6, hold: 3s, settle: 3s}}",
    "p2p-limit": "load: {kind: ramp, from: 2, to: 6, over: 5s}\nduration: 10s",
}
text = re.sub(r"^load:.*$", loads[preset], text, count=1, flags=re.M)
text = re.sub(r"^duration:.*\n", "", text, flags=re.M) if "duration:" in loads[preset] and text.count("duration:") > 1 else text
# keep only the first duration line (the one we wrote)
lines, seen = [], False
for line in text.splitlines():
    if line.startswith("duration:"):
        if seen:
            continue
        seen = True
    lines.append(line)
open(dst, "w").write("\n".join(lines) + "\n")
EOF
}

step_preset() {
  local preset=$1 dir=$work/runs/$1 scen=$work/$1.yaml
  write_scenario "$preset" "$scen"
  NODE_FLAGS=()
  case $preset in
    max-transfer-one-node) node_flags 1 ;;
    *) node_flags 0 1 2 ;;
  esac
  local cancels_before creates_before
  cancels_before=$(ops_on_chain "$accounts" 2); creates_before=$(ops_on_chain "$accounts" 1)
  timeout 150 "$bin" beacon run --scenario "$scen" "${NODE_FLAGS[@]}" --accounts "$accounts" \
    --out "$dir" --store "$store" --name "rn-$preset" --quiet >"$work/$preset.out" ||
    fail "beacon run exited $? ($(tail -1 "$work/steps/$STEP.log"))"
  cat "$work/$preset.out"
  check_run "$preset" "$dir"
  local s=$dir/summary.json extra=""
  case $preset in
    max-*)
      local sustained bp ended
      sustained=$(j "$s" '.search.sustained_rate // "null"')
      bp=$(jq -c '.search.break_point' "$s")
      ended=$(j "$s" '.search.ended // "?"')
      [[ $bp == null ]] || fail "break point at the small rates: $bp"
      extra=" search: sustained $sustained tx/s over $(jq '.search.steps | length' "$s") steps, ended: $ended;"
      ;;
    p2p-limit)
      local prop measured
      prop=$(jq -c '.propagation.propagated' "$s")
      [[ $prop == true ]] || fail "blocks did not propagate: $(jq -c '.propagation.summary' "$s")"
      # Latency per node: every node's blocks measured against the first node that had them.
      measured=$(jq '[.propagation.nodes[] | select(.vs_first_node_us.count > 0)] | length' "$s")
      ((measured == 3)) || fail "propagation latency measured on $measured of 3 nodes: $(jq -c '.propagation.nodes' "$s")"
      extra=" $(j "$s" .propagation.summary);"
      extra+=" behind the first node p99 (ms) per node: $(jq -r '[.propagation.nodes[] | "\(.url) \(.vs_first_node_us.p99 / 1000 | floor)"] | join(", ")' "$s");"
      ;;
  esac
  if grep -q limit_order_cancel "$scen"; then
    # The cancels must reach the chain: the beacon learns its orders' ids from their inclusion.
    local cancels creates fallbacks
    sleep 2  # the last block's history
    cancels=$(( $(ops_on_chain "$accounts" 2) - cancels_before ))
    creates=$(( $(ops_on_chain "$accounts" 1) - creates_before ))
    fallbacks=$(j "$dir/manifest.json" '.factory.cancel_fallbacks // 0')
    ((creates > 0)) || fail "$RUN_NUMBERS; but no limit_order_create in the accounts' history"
    # A cancel can only name an order known when it was signed: transactions from the pool that
    # was filled before the clock started (pool.prefilled) fall back to transfers by design.
    # Those signed during the run must cancel real orders (ids learnt from the node).
    local sent prefilled
    sent=$(j "$s" .totals.sent); prefilled=$(j "$dir/manifest.json" '.pool.prefilled // 0')
    if ((sent > prefilled)); then
      ((cancels > 0)) || fail "$RUN_NUMBERS; $creates limit_order_creates but no limit_order_cancel" \
        "on chain: all $fallbacks cancels fell back to transfers (no order id learnt from the node)"
    fi
    extra+=" on chain $creates order creates, $cancels cancels ($fallbacks fell back to transfers;"
    extra+=" $prefilled of $sent sent were signed before the start);"
  fi
  ok "$RUN_NUMBERS;$extra node cpu peak $(j "$s" '.cpu_percent.node_peak // "-"')%," \
    "schedule lag p99 $(( $(j "$s" '.latency_us.schedule_lag.p99 // 0') / 1000 )) ms"
}

# b1. the error witness_node answers to a refused broadcast has the shape stats/rejection.hpp
# reads (tests/testdata/witness_node_errors.json): an unsigned transfer from nathan is refused
# for its missing authority before any other check. The answer is kept in the work directory.
step_rejection_shape() {
  local exp tx out=$work/rejection-missing-auth.json
  exp=$(date -u -d '+60 seconds' +%Y-%m-%dT%H:%M:%S)
  tx="{\"ref_block_num\":0,\"ref_block_prefix\":0,\"expiration\":\"$exp\",\"operations\":[[0,{\"fee\":{\"amount\":2000000,\"asset_id\":\"1.3.0\"},\"from\":\"1.2.17\",\"to\":\"1.2.6\",\"amount\":{\"amount\":1,\"asset_id\":\"1.3.0\"},\"extensions\":[]}]],\"extensions\":[],\"signatures\":[]}"
  curl -s -m 5 -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"call\",\"params\":[\"network_broadcast\",\"broadcast_transaction\",[$tx]]}" \
    "http://127.0.0.1:${TN_RPC_PORTS[1]}" >"$out" || fail "curl exited $?"
  jq -c . "$out"
  jq -e '.error.code == 4010001 and (.error.message | startswith("Execution error: missing required active authority: Missing Active Authority 1.2.17"))
         and .error.data.name == "tx_missing_active_auth" and .error.data.code == 4010001
         and (.error.data.stack[0].format | startswith("Missing Active Authority ${id}"))' "$out" >/dev/null ||
    fail "unexpected answer: $(head -c 600 "$out")"
  ok "code 4010001, data.name tx_missing_active_auth, stack[0].format \"$(j "$out" .error.data.stack[0].format)\""
}

# b2. a rate search whose accounts run dry: two accounts funded for about 30 transfer fees each
# (20 BTS a fee on this genesis), a search that needs more. witness_node refuses the later
# transfers with FC_ASSERT "Insufficient Balance" (fc code 10): the search must end not valid,
# as the beacons' own setup, and name no node limit.
step_search_dry_accounts() {
  local dry=$work/dry-accounts.txt dir=$work/runs/search-dry-accounts scen=$work/search-dry.yaml
  timeout 60 "$bin" beacon provision --node "${TN_WS[1]}" --registrar nathan \
    --registrar-wif-file "$wif_file" --count 2 --prefix dry- --fund 60000000 \
    --accounts-out "$dry" >"$work/provision-dry.json" || fail "beacon provision exited $?"
  write_scenario max-transfer-one-node "$scen"
  sed -i 's/^load:.*$/load: {search: {start: 4, step: 4, step_duration: 4s, max: 40, hold: 3s, settle: 3s}}/' "$scen"
  NODE_FLAGS=()
  node_flags 1
  # The fee budget would refuse this run at start (fee-budget-refused tests that): go on anyway,
  # to see what the search makes of accounts that run dry.
  timeout 90 "$bin" beacon run --scenario "$scen" "${NODE_FLAGS[@]}" --accounts "$dry" \
    --ignore-fee-budget \
    --out "$dir" --store "$store" --name "rn-search-dry-accounts" --quiet >"$work/search-dry.out" ||
    fail "beacon run exited $? ($(tail -1 "$work/steps/$STEP.log"))"
  local s=$dir/summary.json
  [[ -s $s ]] || fail "no summary.json"
  jq -c '{search: (.search | {valid, invalid_reason, side, sustained_rate, ended}), rejections, notes}' "$s"
  [[ $(j "$s" '.search.valid') == false ]] || fail "search valid: $(jq -c '.search | {valid, sustained_rate, break_point}' "$s")"
  [[ $(j "$s" '.search.sustained_rate') == null ]] || fail "a sustained rate was reported: $(j "$s" .search.sustained_rate)"
  jq -e '[.notes[]?, .verdict.notes[]?] | any(contains("not valid: the beacons"))' "$s" >/dev/null ||
    fail "no 'not valid: the beacons' note: $(jq -c .notes "$s")"
  local n side
  n=$(j "$s" '.totals.rejected_by_reason["fc:10 insufficient_balance"] // 0')
  ((n > 0)) || fail "no fc:10 insufficient_balance rejection: $(jq -c .totals.rejected_by_reason "$s")"
  side=$(j "$s" '.rejections[] | select(.reason == "fc:10 insufficient_balance") | .side')
  [[ $side == beacon ]] || fail "fc:10 insufficient_balance has side $side"
  [[ $(j "$s" '.verdict.valid_for_throughput') == false ]] || fail "the run claims to be valid for throughput"
  ok "search ended \"$(j "$s" .search.ended)\": $(j "$s" .search.invalid_reason);" \
    "rejected_by_reason $(jq -c .totals.rejected_by_reason "$s"), by side $(jq -c .totals.rejected_by_side "$s")"
}

# b3. late is not missed: a1 is watched (block_watch all_nodes) but gets no transactions (weight
# 0), and is stopped (SIGSTOP) for 5 s from the run's third second, across the run's end: the
# blocks of the run's last seconds reach it after the run; the grace waits for a1's head, and they
# must be measured late, not counted missed.
step_propagation_late() {
  local dir=$work/runs/propagation-late scen=$work/propagation-late.yaml s rc=0
  printf '%s\n' "name: propagation-late" "spread: weighted" "nodes:" \
    "  - {url: \"${TN_WS[0]}\", weight: 1}" "  - {url: \"${TN_WS[1]}\", weight: 0}" \
    "  - {url: \"${TN_WS[2]}\", weight: 1}" "mix: {transfer: 1}" "amount: 1" \
    "load: {kind: constant, rate: 2}" "duration: 6s" "block_watch: all_nodes" \
    "propagation: {grace: 20s}" >"$scen"
  timeout 90 "$bin" beacon run --scenario "$scen" --accounts "$accounts" --out "$dir" --quiet \
    >"$work/propagation-late.out" 2>&1 &
  local bp=$! deadline=$((SECONDS + 30))
  track "$bp"
  # Three seconds into the run (three rows in series.jsonl), stop a1 for 5 s.
  until [[ -f $dir/series.jsonl && $(wc -l <"$dir/series.jsonl") -ge 3 ]]; do
    kill -0 "$bp" 2>/dev/null || break
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  kill -STOP "${TN_PIDS[1]}"
  sleep 5
  kill -CONT "${TN_PIDS[1]}"
  wait "$bp" || rc=$?
  ((rc == 0)) || fail "beacon run exited $rc: $(tail -2 "$work/propagation-late.out" | tr '\n' ' ')"
  s=$dir/summary.json
  local row missed late max waited
  row=$(jq -c --arg u "${TN_WS[1]}" '.propagation.nodes[] | select(.url == $u)' "$s")
  [[ -n $row ]] || fail "no propagation row for ${TN_WS[1]}: $(jq -c '.propagation' "$s")"
  missed=$(jq '.missed_count' <<<"$row"); late=$(jq '.seen_after_run' <<<"$row")
  max=$(jq '.vs_first_node_us.max' <<<"$row"); waited=$(j "$s" .propagation.grace.waited_ms)
  ((missed == 0)) || fail "a1 stopped for 5 s: $missed blocks counted missed: $(j "$s" .propagation.summary)"
  ((late > 0 && waited > 0)) || fail "a1 stopped across the run's end, but $late blocks seen after the run (grace waited $waited ms): $row"
  ((max >= 2000000)) || fail "a1 stopped for 5 s but its blocks were at most $((max / 1000)) ms late: $row"
  ok "a1 stopped 5 s across the run's end: 0 missed, $late blocks seen after the run, up to" \
    "$((max / 1000)) ms behind the first node; grace waited $waited ms; $(j "$s" .propagation.summary)"
}

# c. a fleet: the overseer and two beacons (tokens from 0600 files), a run created and started
# with ctl over the three nodes.
step_fleet() {
  local port
  port=$(tn_pick_free 8700)
  head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/beacon.token"
  head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/admin.token"
  chmod 600 "$work/beacon.token" "$work/admin.token"
  timeout 120 "$bin" beacon provision --node "${TN_WS[0]}" --registrar nathan \
    --registrar-wif-file "$wif_file" --claim-genesis-balance --count 3 --prefix rn-fa- \
    --accounts-out "$work/fleet-a.txt" >/dev/null || fail "provision for beacon a exited $?"
  timeout 120 "$bin" beacon provision --node "${TN_WS[0]}" --registrar nathan \
    --registrar-wif-file "$wif_file" --count 3 --prefix rn-fb- \
    --accounts-out "$work/fleet-b.txt" >/dev/null || fail "provision for beacon b exited $?"
  wait_accounts "$work/fleet-a.txt" 20
  wait_accounts "$work/fleet-b.txt" 20
  "$bin" overseer serve --listen "127.0.0.1:$port" --store "$work/fleet.db" \
    --token-file "$work/beacon.token" --admin-token-file "$work/admin.token" \
    >"$work/overseer.out" 2>"$work/overseer.err" &
  local ov=$! deadline
  track "$ov"
  deadline=$((SECONDS + 15))
  until grep -q '^overseer listening' "$work/overseer.out"; do
    kill -0 "$ov" 2>/dev/null || fail "overseer exited: $(tail -3 "$work/overseer.err")"
    ((SECONDS < deadline)) || fail "overseer printed no start line within 15 s"
    sleep 0.2
  done
  local b
  for b in a b; do
    "$bin" beacon serve --overseer "ws://127.0.0.1:$port" --name "fleet-$b" \
      --token-file "$work/beacon.token" --accounts "$work/fleet-$b.txt" \
      >"$work/beacon-$b.out" 2>"$work/beacon-$b.err" &
    track $!
  done
  local ctl=(timeout 20 "$bin" ctl --overseer "http://127.0.0.1:$port" --admin-token-file "$work/admin.token")
  deadline=$((SECONDS + 30))
  until [[ $("${ctl[@]}" beacons | jq '[.[] | select(.connection == "connected" and .state == "idle")] | length') -eq 2 ]]; do
    ((SECONDS < deadline)) || fail "beacons not connected within 30 s: $("${ctl[@]}" beacons)"
    sleep 0.5
  done
  cat >"$work/fleet.yaml" <<EOF
name: realnode-fleet
nodes:
  - ${TN_WS[0]}
  - ${TN_WS[1]}
  - ${TN_WS[2]}
spread: round_robin
mix: {transfer: 3, transfer_with_memo: 1, limit_order_create: 2, limit_order_cancel: 1}
ops_per_tx: {weighted: {1: 90, 2: 10}}
amount: {kind: log_uniform, min: 1, max: 100000}
order_asset: BEACON
load: {kind: constant, rate: 16}
duration: 15s
expiration_seconds: 120
EOF
  "${ctl[@]}" create --scenario "$work/fleet.yaml" --name realnode-fleet >"$work/fleet-create.json" ||
    fail "ctl create exited $?: $(cat "$work/fleet-create.json")"
  cat "$work/fleet-create.json"
  local id
  id=$(j "$work/fleet-create.json" .id)
  [[ -n $id && $id != null ]] || fail "no run id from ctl create"
  [[ $(jq '.beacons | length' "$work/fleet-create.json") -eq 2 ]] || fail "run not assigned to both beacons"
  "${ctl[@]}" start "$id" >/dev/null || fail "ctl start exited $?"
  local status
  deadline=$((SECONDS + 90))
  while :; do
    "${ctl[@]}" status "$id" >"$work/fleet-status.json" || true
    status=$(jq -r '.status // .run.status // empty' "$work/fleet-status.json" 2>/dev/null)
    [[ $status == completed || $status == stopped || $status == failed ]] && break
    ((SECONDS < deadline)) || fail "run $id still ${status:-unknown} after 90 s"
    sleep 1
  done
  [[ $status == completed ]] || fail "run $id $status"
  echo "$id" >"$work/fleet.id"
  mkdir -p "$work/runs/fleet"
  jq '.summary' "$work/fleet-status.json" >"$work/runs/fleet/summary.json"
  check_run fleet "$work/runs/fleet"
  local beacons
  beacons=$(j "$work/runs/fleet/summary.json" .beacons)
  [[ $beacons == 2 ]] || fail "summary says $beacons beacons"
  local cancels creates
  cancels=$(( $(ops_on_chain "$work/fleet-a.txt" 2) + $(ops_on_chain "$work/fleet-b.txt" 2) ))
  creates=$(( $(ops_on_chain "$work/fleet-a.txt" 1) + $(ops_on_chain "$work/fleet-b.txt" 1) ))
  ok "run $id completed, 2 beacons over 3 nodes: $RUN_NUMBERS; on chain $creates order creates," \
    "$cancels cancels"
}

# tn_pick_free FROM: a free loopback port from FROM up.
tn_pick_free() {
  local p=$1
  until tn_port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}

# d. uptime: the three nodes on the testnet's chain id, recent heads.
step_uptime() {
  {
    echo "title: realnode testnet"
    echo "defaults: {interval: 5s, timeout: 5s}"
    echo "endpoints:"
    local i
    for i in 0 1 2; do
      cat <<EOF
  - name: ${TN_NAMES[$i]}
    group: testnet
    url: ${TN_WS[$i]}
    conditions:
      - "[CONNECTED] == true"
      - "[CHAIN_ID] == $TN_CHAIN_ID"
      - "[HEAD_BLOCK_AGE] < 10s"
      - "[HEAD_BLOCK_LAG] < 5"
      - "[API_SETS] has database"
EOF
    done
  } >"$work/uptime.yaml"
  local rc=0
  timeout 30 "$bin" uptime check --config "$work/uptime.yaml" --json >"$work/uptime.json" || rc=$?
  cat "$work/uptime.json"
  ((rc == 0)) || fail "uptime check exited $rc: $(jq -c '[.. | objects | select(has("failed_conditions") or has("errors"))]' "$work/uptime.json" 2>/dev/null | head -c 600)"
  timeout 30 "$bin" uptime check --config "$work/uptime.yaml" >"$work/uptime.txt" || true
  cat "$work/uptime.txt"
  local up
  up=$(grep -c -w up "$work/uptime.txt" || true)
  ((up >= 3)) || fail "only $up of 3 endpoints up: $(cat "$work/uptime.txt")"
  ok "3 of 3 up on chain ${TN_CHAIN_ID:0:12}:" \
    "$(awk '{for (i = 1; i < NF; i++) if ($i == "head") h = $(i + 1) " age " $(i + 3); printf "%s %s head %s; ", $1, $2, h}' "$work/uptime.txt")"
}

# e. the report of the stored runs: the fleet run (overseer store) and real-user-activity (the
# beacons' store); report.json's numbers are the stored summary's.
step_report() {
  local id
  id=$(cat "$work/fleet.id" 2>/dev/null) || fail "no fleet run to report"
  timeout 60 "$bin" report --store "$work/fleet.db" "$id" --out "$work/report-fleet" --format all ||
    fail "report of the fleet run exited $?"
  compare_report "$work/report-fleet" "$work/runs/fleet/summary.json"
  local rua
  rua=$(j "$work/runs/real-user-activity/manifest.json" .run.id 2>/dev/null) || fail "no real-user-activity run dir"
  timeout 60 "$bin" report --store "$store" "$rua" --out "$work/report-rua" --format all ||
    fail "report of real-user-activity exited $?"
  compare_report "$work/report-rua" "$work/runs/real-user-activity/summary.json"
  ok "fleet and real-user-activity reports (html $(stat -c %s "$work/report-fleet/report.html") B," \
    "md, json): totals equal the stored summaries ($(jq -c '.runs[0].summary.totals | {sent, included}' "$work/report-fleet/report.json"))"
}
compare_report() {  # DIR SUMMARY
  local f
  for f in report.html report.md report.json; do [[ -s $1/$f ]] || fail "$1/$f missing"; done
  local k a b
  for k in sent accepted rejected unanswered included; do
    a=$(jq -r ".runs[0].summary.totals.$k" "$1/report.json"); b=$(jq -r ".totals.$k" "$2")
    [[ $a == "$b" ]] || fail "$1/report.json totals.$k $a, stored summary $b"
  done
  [[ $(jq -r '.runs[0].summary_source' "$1/report.json") == stored ]] ||
    fail "$1: summary_source $(jq -r '.runs[0].summary_source' "$1/report.json")"
  grep -q "$(jq -r '.totals.sent' "$2")" "$1/report.md" || fail "$1/report.md does not show sent"
}

# f. the one-command stress test against the existing nodes.
step_run_command() {
  "$bin" run --help | grep -q -- '--registrar-wif-file' || fail "bts-infra run has no --registrar-wif-file"
  timeout 180 "$bin" run real-user-activity --node "${TN_WS[0]}" --node "${TN_WS[1]}" --node "${TN_WS[2]}" \
    --registrar nathan --registrar-wif-file "$wif_file" --claim-genesis-balance --beacons 2 \
    --accounts-per-beacon 2 --rate 10 --duration 12s --out "$work/run-command" \
    >"$work/run-command.out" || fail "bts-infra run exited $? ($(tail -2 "$work/steps/$STEP.log" | tr '\n' ' '))"
  cat "$work/run-command.out"
  local id st
  id=$(awk '$1 == "run" && $2 == "id" {print $3}' "$work/run-command.out")
  st=$(awk '$1 == "store" {print $2}' "$work/run-command.out")
  grep -q "^run $id: completed" "$work/run-command.out" || fail "run $id not completed: $(head -1 "$work/run-command.out")"
  grep -q "$TN_DEV_WIF" "$work/run-command.out" "$work/steps/$STEP.log" && fail "the registrar key was printed"
  mkdir -p "$work/runs/run-command"
  timeout 60 "$bin" report --store "$st" "$id" --out "$work/report-run" --format json >/dev/null ||
    fail "report of run $id exited $?"
  jq '.runs[0].summary' "$work/report-run/report.json" >"$work/runs/run-command/summary.json"
  check_run run-command "$work/runs/run-command"
  ok "run $id completed over 3 nodes, 2 beacons: $RUN_NUMBERS"
}

# g. the devnet against witness_node on the same genesis (tests/realnode/differential.js).
# d. head lag: a 16 s run over the three nodes while API node a2 is stopped (SIGSTOP) for 8 s
# mid-run: the summary names a2 behind (lag > 0, seconds behind, a verdict note), the producer
# and a1 stay within a block.
step_head_lag() {
  local dir=$work/runs/head-lag s stopped=0
  NODE_FLAGS=()
  node_flags 0 1 2
  timeout 90 "$bin" beacon run --rate 20 --duration 16s "${NODE_FLAGS[@]}" --accounts "$accounts" \
    --out "$dir" --store "$store" --name rn-head-lag --quiet >"$work/head-lag.out" &
  local beacon=$!
  sleep 4
  # Whatever happens to this step (it runs in a subshell), a2 runs again when it ends.
  trap 'kill -CONT "${TN_PIDS[2]}" 2>/dev/null || true' EXIT
  kill -STOP "${TN_PIDS[2]}" && stopped=1
  sleep 8
  ((stopped)) && kill -CONT "${TN_PIDS[2]}"
  wait "$beacon" || fail "beacon run exited $? ($(tail -1 "$work/steps/$STEP.log"))"
  s=$dir/summary.json
  [[ -s $s ]] || fail "no summary.json"
  jq -c '.per_node' "$s"
  local a2=${TN_WS[2]} lag behind others
  lag=$(jq -r --arg u "$a2" '.per_node[] | select(.url == $u) | .peak_head_lag_blocks // 0' "$s")
  behind=$(jq -r --arg u "$a2" '.per_node[] | select(.url == $u) | .seconds_behind // 0' "$s")
  ((${lag:-0} >= 2 && ${behind:-0} >= 1)) ||
    fail "a2 stopped for 8 s, but per_node says lag ${lag:-none}, ${behind:-none} s behind: $(jq -c '.per_node' "$s")"
  others=$(jq -r --arg u "$a2" '[.per_node[] | select(.url != $u) | .peak_head_lag_blocks // 0] | max' "$s")
  ((${others:-9} <= 1)) || fail "the producer or a1 lagged too: $(jq -c '.per_node' "$s")"
  jq -e --arg u "$a2" '.verdict.notes | any(startswith($u + " was "))' "$s" >/dev/null ||
    fail "no verdict note names $a2: $(jq -c '.verdict.notes' "$s")"
  ok "a2 (stopped 8 s) peak lag $lag blocks, $behind s behind; others peak lag $others;" \
    "$(jq -r --arg u "$a2" '.verdict.notes[] | select(startswith($u))' "$s")"
}

step_differential() {
  if [[ ! -f $here/differential.js ]]; then
    echo "skip differential: tests/realnode/differential.js missing" >&3
    ok "skipped (tests/realnode/differential.js missing)"
    return 0
  fi
  local port
  port=$(tn_pick_free 8090)
  "$bin" devnet --genesis "$TN_GENESIS" --listen "127.0.0.1:$port" >"$work/devnet.out" 2>"$work/devnet.err" &
  local dv=$! deadline=$((SECONDS + 15)) url=""
  track "$dv"
  while [[ -z $url ]]; do
    url=$(awk '/^devnet listening/{print $3; exit}' "$work/devnet.out")
    kill -0 "$dv" 2>/dev/null || fail "devnet exited: $(tail -3 "$work/devnet.err")"
    ((SECONDS < deadline)) || fail "devnet printed no start line within 15 s"
    [[ -n $url ]] || sleep 0.2
  done
  local dcid
  dcid=$(awk '/^devnet listening/{for (i = 1; i < NF; i++) if ($i == "chain_id") print $(i + 1); exit}' "$work/devnet.out")
  [[ $dcid == "$TN_CHAIN_ID" ]] || fail "devnet chain id $dcid, witness_node's $TN_CHAIN_ID"
  local rc=0
  (cd "$repo" && timeout 300 node tests/realnode/differential.js --bin "$bin" --devnet "$url" \
    --real "${TN_WS[1]}") >"$work/differential.out" 2>&1 || rc=$?
  cat "$work/differential.out"
  stop_pid "$dv" 5
  ((rc == 0)) || fail "differential.js exited $rc: $(tail -3 "$work/differential.out" | tr '\n' ' ')"
  ok "devnet and witness_node agree (same chain id ${TN_CHAIN_ID:0:12}): $(tail -1 "$work/differential.out")"
}

# h. the fee budget: two accounts with 100 BTS each cannot pay 30 transfers (20 BTS each on this
# genesis): `beacon run` is refused at start with the numbers and writes nothing; `beacon
# provision --for-scenario` funds them for it (+10%) and the same run is accepted.
step_fee_budget_refused() {
  local scen=$work/fee-budget.yaml acc=$work/fee-budget-accounts.txt dir=$work/runs/fee-budget t0=$SECONDS
  printf 'mix: {transfer: 1}\nload: {kind: constant, rate: 10}\nduration: 3s\n' >"$scen"
  timeout 60 "$bin" beacon provision --node "${TN_WS[0]}" --registrar nathan \
    --registrar-wif-file "$wif_file" --count 2 --prefix rn-fee- --fund 10000000 \
    --accounts-out "$acc" >"$work/fee-budget-provision1.json" || fail "provision with --fund exited $?"
  local rc=0
  timeout 30 "$bin" beacon run --scenario "$scen" --node "${TN_WS[0]}" --accounts "$acc" \
    --run-dir "$dir-refused" --quiet >"$work/fee-budget-refused.out" 2>"$work/fee-budget-refused.err" || rc=$?
  cat "$work/fee-budget-refused.err"
  ((rc == 2)) || fail "beacon run with 200 BTS exited $rc, expected 2 (refused)"
  local line
  line=$(grep 'fee budget: the run needs' "$work/fee-budget-refused.err" || true)
  [[ $line =~ needs\ ~[0-9,.]+\ [A-Z]+\ in\ fees\ \(30\ transactions\ ×\ [0-9,.]+\ [A-Z]+\).*the\ 2\ accounts\ hold\ 200\ [A-Z]+\ \(short\ by ]] ||
    fail "no refusal line with the numbers: $(tail -1 "$work/fee-budget-refused.err")"
  [[ ! -e $dir-refused ]] || fail "a refused run left $dir-refused behind"
  local refused_s=$((SECONDS - t0))
  timeout 60 "$bin" beacon provision --node "${TN_WS[0]}" --registrar nathan \
    --registrar-wif-file "$wif_file" --count 2 --prefix rn-fee- --for-scenario "$scen" \
    --accounts-out "$acc" >"$work/fee-budget-provision2.json" || fail "provision --for-scenario exited $?"
  cat "$work/fee-budget-provision2.json"
  local fund funded needed
  fund=$(j "$work/fee-budget-provision2.json" .fund); funded=$(j "$work/fee-budget-provision2.json" .funded)
  needed=$(j "$work/fee-budget-provision2.json" .fee_budget.needed_fees)
  ((funded == 2)) || fail "provision --for-scenario funded $funded of 2 accounts"
  ((fund * 2 * 10 >= needed * 11)) || fail "funded $fund each for a need of $needed"
  wait_accounts "$acc" 20
  timeout 60 "$bin" beacon run --scenario "$scen" --node "${TN_WS[0]}" --accounts "$acc" \
    --run-dir "$dir" --quiet >"$work/fee-budget.out" || fail "the funded run exited $?"
  [[ $(j "$dir/summary.json" .fee_budget.affordable) == true ]] || fail "funded run not affordable: $(jq -c .fee_budget "$dir/summary.json")"
  check_run fee-budget "$dir"
  ok "refused in $refused_s s: ${line#*fee budget: }; provisioned $fund units per account" \
    "for $needed units of fees; funded run: $RUN_NUMBERS"
}

# ================================================================================================
if start_testnet; then
  run_step provision step_provision
  run_step provision-again step_provision_again
  run_step fee-budget-refused step_fee_budget_refused
  for preset in $("$bin" beacon presets); do
    run_step "preset-$preset" step_preset "$preset"
  done
  run_step rejection-shape step_rejection_shape
  run_step search-dry-accounts step_search_dry_accounts
  run_step propagation-late step_propagation_late
  run_step fleet step_fleet
  run_step head-lag step_head_lag
  run_step uptime step_uptime
  run_step report step_report
  run_step run-command step_run_command
  run_step differential step_differential
  heads=$(tn_heads)
  tn_alive || { echo "FAIL testnet-end: a witness_node exited during the suite" >&3; failed=$((failed + 1)); }
else
  heads="-"
  tn_logs_tail 20 >&2
fi
echo "testnet heads at the end: $heads; suite took $((SECONDS - suite_start)) s" >&2
echo "$passed passed, $failed failed"
((failed == 0))
