#!/usr/bin/env bash
# Installs the npm-based test tools into BUILD: the bitsharesjs oracle (BUILD/oracle) and
# playwright-core for the headless-chromium page tests (BUILD/browser). Test-only; never committed.
# Each is reinstalled only when its package-lock.json changed.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
install() {
  local src=$1 dst=$2
  [[ -f $src/package.json ]] || return 0
  mkdir -p "$dst"
  if ! cmp -s "$src/package-lock.json" "$dst/package-lock.json" || [[ ! -d $dst/node_modules ]]; then
    cp "$src/package.json" "$src/package-lock.json" "$dst/"
    (cd "$dst" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}
install "$root/tests/oracle" "$build/oracle"
install "$root/tests/browser" "$build/browser"
