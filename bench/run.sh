#!/usr/bin/env bash
# Runs every benchmark side by side in one run and prints ratios against peers and limits.
# Absolute numbers vary with the (shared, noisy) machine; the ratios are what we track.
#   bench/run.sh [BUILD_DIR]          (make bench)
# Output: key=value lines, also written to BUILD_DIR/bench-results.txt.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
out=$build/bench-results.txt
: >"$out"
emit() { echo "$1" | tee -a "$out"; }
value() { grep -E "^$1=" "$out" | tail -1 | cut -d= -f2; }
ratio() { awk -v a="$2" -v b="$3" -v k="$1" 'BEGIN { if (b > 0) printf "%s=%.3f\n", k, a / b }'; }

echo "# bts-infra benchmarks, $(date -u +%FT%TZ), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" | tee -a "$out"
# One benchmark that fails or hangs (BTS_BENCH_TIMEOUT seconds, default 900) is reported as
# `<name>.failed=1` and the others still run; the script then exits non-zero.
failed=0
for b in "$build"/bin/*_bench; do
  [[ -x $b ]] || continue
  name=$(basename "$b" _bench)
  echo "# $(basename "$b")" | tee -a "$out"
  if ! { timeout --kill-after=10 "${BTS_BENCH_TIMEOUT:-900}" "$b" | grep -E '^[a-z0-9_.]+=' | tee -a "$out"; }; then
    emit "$name.failed=1"
    failed=1
  fi
done

# The peer: bitsharesjs signing and serializing on this machine, in this run.
if [[ -d $build/oracle/node_modules/bitsharesjs ]]; then
  echo "# bitsharesjs (peer)" | tee -a "$out"
  ORACLE_MODULES=$build/oracle/node_modules node "$here/../tests/oracle/bitsharesjs_oracle.js" bench \
    --count "${BTS_BENCH_JS_COUNT:-400}" | grep -E '^[a-z0-9_.]+=' | tee -a "$out"
fi

echo "# ratios" | tee -a "$out"
ours=$(value sign.ours_per_sec)
js=$(value bitsharesjs.sign_per_sec)
[[ -n $ours && -n $js ]] && emit "$(ratio sign.ratio_vs_bitsharesjs "$ours" "$js")"
ser=$(value serialize.transfer_per_sec)
jser=$(value bitsharesjs.serialize_per_sec)
[[ -n $ser && -n $jser ]] && emit "$(ratio serialize.ratio_vs_bitsharesjs "$ser" "$jser")"
grep -E '^[a-z0-9_.]*ratio[a-z0-9_.]*=' "$out" | sort -u
echo "# written to $out"
exit $failed
