#!/usr/bin/env bash
# The bitsharesjs cross-implementation test (ctest: oracle.bitsharesjs).
#   run.sh ORACLE_CHECK_BINARY ORACLE_DIR
# 1. bitsharesjs generates >= 1,000 seeded random transactions over every supported operation,
#    with its bytes, ids and signatures;
# 2. bts-infra (oracle_check) requires the same bytes and ids, and that bitsharesjs's signatures
#    recover to the signer in bts-infra; it adds its own signatures and JSON forms;
# 3. bitsharesjs requires that bts-infra's signatures verify and its JSON means the same bytes.
# Replay a failure with BTS_ORACLE_SEED=<printed seed>.
set -euo pipefail
checker=$1
oracle_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
seed=${BTS_ORACLE_SEED:-$(( $(date +%s) % 1000000007 ))}
count=${BTS_ORACLE_COUNT:-1000}
echo "oracle: seed $seed, $count transactions (replay: BTS_ORACLE_SEED=$seed)"
if [[ ! -d $oracle_dir/node_modules/bitsharesjs ]]; then
  echo "oracle: bitsharesjs is not installed in $oracle_dir (make test runs scripts/prepare-oracle.sh)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ORACLE_MODULES=$oracle_dir/node_modules
node "$here/bitsharesjs_oracle.js" gen --seed "$seed" --count "$count" --out "$work/gen.json" | grep -v '^WARN: '
"$checker" "$work/gen.json" "$work/checked.json"
node "$here/bitsharesjs_oracle.js" verify --in "$work/checked.json"
