#!/usr/bin/env bash
# `make demo`: the main job end to end, on this machine only. `bts-infra run` starts a local
# devnet with three API endpoints, the overseer (SQLite store, dashboard) and three real beacons,
# provisions their accounts and runs real-user-activity for DEMO_SECONDS (default 60) at DEMO_RATE
# tx/s (default 50); then `bts-infra report` renders the stored run. Ctrl-C stops the run early
# and still reports what was measured.
# Usage: scripts/demo.sh [BUILD_DIR]   (BTS_DEMO_OUT: output directory, default results/demo)
set -euo pipefail
build=${1:-build}
bin=$(cd "$(dirname "$build/bin/bts-infra")" && pwd)/bts-infra
out=${BTS_DEMO_OUT:-results/demo}
seconds=${DEMO_SECONDS:-60}
rate=${DEMO_RATE:-50}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# A fresh chain and store each time (only what this script writes there).
rm -rf "$out/devnet" "$out/report" "$out"/results.sqlite* "$out"/{accounts.txt,beacon.token,admin.token,run.log,run.out}
rm -rf "$out/run" "$out/devnet.log"  # the layout of earlier versions of this script

echo "demo: real-user-activity at $rate tx/s for ${seconds}s: 3 beacons, devnet with 3 endpoints"
rc=0
"$bin" run real-user-activity --beacons 3 --nodes 3 --rate "$rate" --duration "${seconds}s" \
  --out "$out" >"$out/run.out" || rc=$?
cat "$out/run.out"
id=$(awk '$1 == "run" && $2 == "id" {print $3}' "$out/run.out")
[[ -n $id ]] || { echo "demo: bts-infra run failed (exit $rc); see $out/run.log" >&2; exit 1; }

"$bin" report --store "$out/results.sqlite" "$id" --out "$out/report" >/dev/null

echo
echo "demo: results store  $out/results.sqlite"
echo "demo: run            $id"
echo "demo: report         $out/report/report.html (and report.md, report.json)"
echo "demo: logs           $out/run.log"
exit "$rc"
