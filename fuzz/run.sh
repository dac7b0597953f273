#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in BUILD_DIR and runs each for SECONDS.
#   fuzz/run.sh BUILD_DIR SECONDS
# Fails (non-zero exit) on any crash, sanitizer report, leak, timeout or violated round-trip
# property; the reproducer is left in BUILD_DIR/fuzz-artifacts/. Grown corpora are kept in
# BUILD_DIR/fuzz-corpus/ (never committed); the seeds are fuzz/corpus/{json,binary}.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
jobs=${JOBS:-2}

sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBTS_BUILD_FUZZ=ON -DBTS_BUILD_TESTS=OFF -DBTS_BUILD_BENCH=OFF \
  "-DCMAKE_C_FLAGS=$sanitize" "-DCMAKE_CXX_FLAGS=$sanitize" >/dev/null
cmake --build "$build" --target fuzz_tx_json fuzz_tx_binary -j "$jobs"

artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for kind in json binary; do
  corpus=$build/fuzz-corpus/$kind
  mkdir -p "$corpus"
  extra=()
  [[ $kind == json ]] && extra+=("-dict=$here/tx_json.dict")
  echo "# fuzz_tx_$kind for ${seconds}s"
  "$build/bin/fuzz_tx_$kind" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -artifact_prefix="$artifacts/$kind-" "${extra[@]}" \
    "$corpus" "$here/corpus/$kind"
done
echo "# fuzz: no crashes in ${seconds}s per target"
