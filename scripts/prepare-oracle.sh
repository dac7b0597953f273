#!/usr/bin/env bash
# Installs the npm-based test oracles (bitsharesjs) into BUILD/oracle. Test-only; never committed.
set -euo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)/tests/oracle
[[ -f $src/package.json ]] || exit 0
dst=$build/oracle
mkdir -p "$dst"
if ! cmp -s "$src/package-lock.json" "$dst/package-lock.json" || [[ ! -d $dst/node_modules ]]; then
  cp "$src/package.json" "$src/package-lock.json" "$dst/"
  (cd "$dst" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
