#!/usr/bin/env bash
# End to end: the real `bts-infra devnet` on a free loopback port, `beacon provision` (nathan's
# key from a file, never argv), a steady `beacon run`, then a run during which the devnet is
# killed and restarted on the same port with --data-dir (the chain survives).
# Usage: beacon_devnet_test.sh BTS_INFRA_BINARY. Bounded: every wait has a deadline; < 90 s.
set -euo pipefail

bin=${1:?usage: beacon_devnet_test.sh BTS_INFRA_BINARY}
work=$(mktemp -d "${TMPDIR:-/tmp}/beacon_devnet_test.XXXXXX")
devnet_pid=""

fail() { echo "FAIL: $*" >&2; exit 1; }
stop_devnet() {
  if [[ -n $devnet_pid ]]; then
    kill "$1" "$devnet_pid" 2>/dev/null || true
    wait "$devnet_pid" 2>/dev/null || true
    devnet_pid=""
  fi
}
cleanup() {
  local rc=$?
  stop_devnet -KILL
  if [[ $rc -ne 0 ]]; then
    for f in "$work"/*.out "$work"/*.err; do [[ -f $f ]] && { echo "== $f"; tail -20 "$f"; }; done >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# start_devnet LISTEN LOG: starts the devnet, waits (max 10 s) for its start line, sets $url.
start_devnet() {
  "$bin" devnet --listen "$1" --data-dir "$work/chain" --block-interval 1 >"$2.out" 2>"$2.err" &
  devnet_pid=$!
  for _ in $(seq 100); do
    url=$(awk '/^devnet listening/{print $3; exit}' "$2.out")
    [[ -n $url ]] && return 0
    kill -0 "$devnet_pid" 2>/dev/null || fail "devnet exited before its start line"
    sleep 0.1
  done
  fail "devnet printed no start line within 10 s"
}

# total RUN KEY: a number from RUN/summary.json's totals.
total() { jq -r ".totals.$2" "$work/$1/summary.json"; }

check_counts_add_up() {
  local sent accepted rejected unanswered
  sent=$(total "$1" sent); accepted=$(total "$1" accepted)
  rejected=$(total "$1" rejected); unanswered=$(total "$1" unanswered)
  [[ $sent -gt 0 ]] || fail "$1: nothing sent"
  [[ $sent -eq $((accepted + rejected + unanswered)) ]] ||
    fail "$1: sent $sent != accepted $accepted + rejected $rejected + unanswered $unanswered"
}

# --- devnet on a free port ---------------------------------------------------------------------
start_devnet 127.0.0.1:0 "$work/devnet1"
hostport=${url#ws://}; hostport=${hostport%%/*}
[[ $hostport == 127.0.0.1:* ]] || fail "devnet not on loopback: $url"
echo "devnet at $url"

# --- provision ---------------------------------------------------------------------------------
umask 077
echo 5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3 >"$work/nathan.wif"
timeout 30 "$bin" beacon provision --node "$url" --registrar nathan \
  --registrar-wif-file "$work/nathan.wif" --claim-genesis-balance --count 4 --accounts-out "$work/accounts" \
  >"$work/provision.out" 2>"$work/provision.err" || fail "beacon provision exited $?"
[[ $(wc -l <"$work/accounts") -ge 4 ]] || fail "accounts file has fewer than 4 accounts"

# --- steady run: 100 tx/s for 5 s --------------------------------------------------------------
timeout 30 "$bin" beacon run --node "$url" --rate 100 --duration 5s --accounts "$work/accounts" \
  --out "$work/steady" --store "$work/results.db" --quiet >"$work/steady.out" 2>"$work/steady.err" ||
  fail "steady beacon run exited $?"
check_counts_add_up steady
accepted=$(total steady accepted); included=$(total steady included)
[[ $(total steady rejected) -eq 0 ]] || fail "steady: $(total steady rejected) rejected"
[[ $((included * 100)) -ge $((accepted * 99)) ]] ||
  fail "steady: only $included of $accepted accepted transactions included"
echo "steady: sent $(total steady sent) accepted $accepted included $included"

# Blocks seen: one line per block number, this run's transactions in them add up to the
# inclusions, sizes within the chain's maximum_block_size and above an empty block's.
blocks=$work/steady/blocks.jsonl
[[ -s $blocks ]] || fail "steady: no blocks.jsonl"
[[ $(jq -s 'map(.run_transactions) | add' "$blocks") -eq $included ]] ||
  fail "steady: blocks hold $(jq -s 'map(.run_transactions) | add' "$blocks") run transactions, $included included"
[[ $(jq -s 'map(.block_num) | unique | length' "$blocks") -eq $(wc -l <"$blocks") ]] ||
  fail "steady: a block number appears twice in blocks.jsonl"
jq -e -s 'all(.[]; .bytes > 100 and .bytes <= .max_block_size and .max_block_size > 0
              and .transactions >= .run_transactions and .operations >= .transactions
              and (.witness | startswith("1.6.")) and .time_ms > 1500000000000)' "$blocks" >/dev/null ||
  fail "steady: implausible block record in blocks.jsonl"
[[ -s $work/results.db ]] || fail "steady: no results store written"
echo "steady: $(wc -l <"$blocks") blocks recorded"

# --- restart run: the devnet is killed 3 s in and back on the same port 1 s later ---------------
timeout 45 "$bin" beacon run --node "$url" --rate 100 --duration 10s --accounts "$work/accounts" \
  --out "$work/restart" --quiet >"$work/restart.out" 2>"$work/restart.err" &
beacon_pid=$!
sleep 3
stop_devnet -KILL
sleep 1
start_devnet "$hostport" "$work/devnet2"
restarted_ms=$(date +%s%3N)
[[ $url == "ws://$hostport"* ]] || fail "restarted devnet at $url, not $hostport"
rc=0; wait "$beacon_pid" || rc=$?
[[ $rc -eq 0 ]] || fail "beacon run across the restart exited $rc"
check_counts_add_up restart
disconnects=$(total restart disconnects); reconnects=$(total restart reconnects)
[[ $disconnects -ge 1 ]] || fail "restart: no disconnect counted"
[[ $reconnects -ge 1 ]] || fail "restart: no reconnect counted"
kill -0 "$devnet_pid" 2>/dev/null || fail "restarted devnet died"
# After the restart the run goes on: transactions sent once the beacon reconnected are accepted
# (rows after the first reconnect), and blocks the restarted devnet produced hold this run's
# transactions (a block stamped after the restart can only hold what the new process accepted).
series=$work/restart/series.jsonl
reconnect_second=$(jq -s '[.[] | select(.reconnects > 0) | .second] | min // -1' "$series")
[[ $reconnect_second -ge 0 ]] || fail "restart: no row counts the reconnect"
accepted_after=$(jq -s "[.[] | select(.second > $reconnect_second) | .accepted] | add // 0" "$series")
included_after=$(jq -s "[.[] | select(.time_ms >= $restarted_ms) | .run_transactions] | add // 0" \
  "$work/restart/blocks.jsonl")
[[ $accepted_after -gt 0 ]] || fail "restart: nothing accepted after the reconnect (second $reconnect_second)"
[[ $included_after -gt 0 ]] || fail "restart: none of this run's transactions in a block after the restart"
echo "restart: sent $(total restart sent) accepted $(total restart accepted)" \
  "included $(total restart included) disconnects $disconnects reconnects $reconnects;" \
  "after the restart: accepted $accepted_after, included $included_after"
echo PASS
