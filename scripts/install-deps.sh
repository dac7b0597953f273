#!/usr/bin/env bash
# Installs what bts-infra needs from Debian bookworm packages. Idempotent and non-interactive:
# packages already present are left alone; `apt-get update` runs only when something is missing.
# Usage: scripts/install-deps.sh [build|test|demo|realnode]   (test and demo include build; demo
# includes test; realnode is build plus what tests/realnode/run.sh needs)
set -euo pipefail
level=${1:-build}

build_pkgs=(build-essential cmake ninja-build pkg-config git ca-certificates
  libssl-dev libsecp256k1-dev libboost1.81-dev libboost-json1.81-dev
  libsqlite3-dev libyaml-cpp-dev libcli11-dev zlib1g-dev)
test_pkgs=(libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev chromium prometheus-node-exporter
  prometheus)

# tests/realnode/run.sh: jq, ip and ss (iproute2), unshare and flock (util-linux), xz (the
# witness_node binary), curl (JSON-RPC over HTTP), python3 (genesis and scenario edits), ps (procps).
realnode_pkgs=(jq iproute2 util-linux xz-utils curl python3 procps)

pkgs=("${build_pkgs[@]}")
if [[ $level == test || $level == demo ]]; then pkgs+=("${test_pkgs[@]}"); fi
if [[ $level == realnode ]]; then pkgs+=("${realnode_pkgs[@]}"); fi
# Node.js and npm run the test oracles (bitsharesjs) and browser tests. Machines that already
# have a node/npm (e.g. from another repository) keep theirs.
if [[ $level == test ]] && ! command -v npm >/dev/null 2>&1; then pkgs+=(nodejs npm); fi
# The real-node suite's differential test (tests/realnode/differential.js) runs on Node.js.
if [[ $level == realnode ]] && ! command -v node >/dev/null 2>&1; then pkgs+=(nodejs); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
