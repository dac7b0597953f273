#!/usr/bin/env bash
# `make demo`: the main job on the embedded defaults, on this machine only.
#   1. starts a local devnet with three API endpoints (bts-infra devnet --nodes 3);
#   2. provisions beacon accounts under the genesis account nathan (bts-infra beacon provision);
#   3. runs the real-user-activity scenario against all three endpoints for DEMO_SECONDS
#      (default 30) at DEMO_RATE tx/s (default 50), storing the run in the embedded SQLite store;
#   4. prints the summary and where everything is.
# The overseer, dashboard and report join this demo when they land (see the issues).
set -euo pipefail
build=${1:-build}
bin=$(cd "$(dirname "$build/bin/bts-infra")" && pwd)/bts-infra
out=${BTS_DEMO_OUT:-results/demo}
seconds=${DEMO_SECONDS:-30}
rate=${DEMO_RATE:-50}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/run" "$out/devnet.log"

devnet_pid=
cleanup() { [[ -n $devnet_pid ]] && kill "$devnet_pid" 2>/dev/null && wait "$devnet_pid" 2>/dev/null || true; }
trap cleanup EXIT

# Ephemeral ports, so the demo never collides with a node already running on 8090.
"$bin" devnet --listen 127.0.0.1:0 --nodes 3 >"$out/devnet.log" 2>&1 &
devnet_pid=$!
for _ in $(seq 100); do
  grep -q '^devnet listening' "$out/devnet.log" && break
  kill -0 "$devnet_pid" 2>/dev/null || { cat "$out/devnet.log" >&2; exit 1; }
  sleep 0.1
done
line=$(grep -m1 '^devnet listening' "$out/devnet.log") || { echo "demo: the devnet did not start" >&2; exit 1; }
endpoints=$(awk '{for (i = 1; i < NF; i++) if ($i == "endpoints") print $(i + 1)}' <<<"$line")
first=${endpoints%%,*}
echo "demo: $line"

# The development key is public (bitshares-core's nathan); it still goes through a file, as a
# real registrar key would, never through argv.
umask 077
echo 5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3 >"$out/nathan.wif"
"$bin" beacon provision --node "$first" --registrar nathan --registrar-wif-file "$out/nathan.wif" \
  --count 6 --accounts-out "$out/accounts.txt"
rm -f "$out/nathan.wif"

node_flags=()
IFS=, read -ra urls <<<"$endpoints"
for u in "${urls[@]}"; do node_flags+=(--node "$u"); done
echo "demo: real-user-activity at $rate tx/s for ${seconds}s over ${#urls[@]} endpoints"
"$bin" beacon run --preset real-user-activity "${node_flags[@]}" --rate "$rate" \
  --duration "${seconds}s" --accounts "$out/accounts.txt" --out "$out/run" \
  --store "$out/results.sqlite" --name demo-beacon

echo
echo "demo: summary      $out/run/summary.json"
echo "demo: run          $out/run/ (manifest.json, series.jsonl, histograms/)"
echo "demo: stored in    $out/results.sqlite"
echo "demo: devnet log   $out/devnet.log"
