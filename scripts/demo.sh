#!/usr/bin/env bash
# `make demo`: the main job on the embedded defaults (local devnet, embedded SQLite store).
# Until the devnet and beacon land, it shows what the protocol layer does on its own.
set -euo pipefail
build=${1:-build}
bin=$build/bin/bts-infra
out=${BTS_DEMO_OUT:-results/demo}
mkdir -p "$out"
echo "bts-infra demo: the full stress-test demo (devnet + overseer + beacons + report) arrives with"
echo "the devnet/beacon/overseer issues. Today it signs a transfer with the devnet's nathan key."
cat >"$out/transfer.json" <<'JSON'
{"ref_block_num": 11030, "ref_block_prefix": 1524792027, "expiration": "2026-11-24T12:00:00",
 "operations": [[0, {"fee": {"amount": 2000000, "asset_id": "1.3.0"}, "from": "1.2.17",
   "to": "1.2.18", "amount": {"amount": 100000, "asset_id": "1.3.0"}, "extensions": []}]],
 "extensions": []}
JSON
echo 5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3 >"$out/nathan.wif"
"$bin" key --wif - <"$out/nathan.wif" >"$out/nathan.json"
"$bin" tx sign --chain-id 4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8 \
  --wif-file "$out/nathan.wif" "$out/transfer.json" >"$out/signed.json"
rm -f "$out/nathan.wif"
echo "nathan's public key:  $(cat "$out/nathan.json")"
echo "signed transaction:   $out/signed.json"
echo "demo output is in $out/"
