#!/usr/bin/env bash
# One beacon against one real bitshares-core witness_node on this machine: per offered rate, the
# node's and the beacon's CPU per transaction, measured in the same run over the same window,
# and their ratio (beacon / node); at the end the node's highest sustainable rate and the ratio
# there. Not a test and not part of `make bench` (it needs ../shared/real-node); `make
# bench-realnode` runs it.
#
#   bench/realnode_bench.sh [BUILD_DIR]          (default build)
#
# Environment:
#   RATES="500 1000 ..."  offered rates, tx/s, one beacon run each (default 500 to 2,500 by 500,
#                         then 2,750 to 3,500 by 250, and 4,000)
#   STEP_SECONDS=15       seconds of sending per step
#   STOP_AFTER=2          stop after this many unsustainable steps in a row (0: run every rate)
#   ACCOUNTS=10           beacon accounts (provisioned once, funded for every step)
#   CONNECTIONS=8         websocket connections to the node, broadcasts pipelined on each
#   MAX_IN_FLIGHT=2000    window of unanswered broadcasts (max-transfer-one-node's)
#   BTS_WITNESS_NODE=F    the witness_node binary (default: unpacked from ../shared/real-node)
#   BTS_REALNODE_OUT=DIR  where results stay (default BUILD_DIR/realnode-bench)
#   KEEP=1                keep the node's data directory
# Why 8 connections, not the max-transfer-one-node preset's 2: witness_node's websocket server
# stops reading a connection while over 100 calls are pending (fc's websocket.cpp waits in its
# message handler), so over 2 connections its answers fell behind from about 2,000 tx/s with CPU
# left over; over 8 it reaches its own limit.
#
# How it measures. Each step is one `beacon run --rate R --count R*STEP_SECONDS` with
# presign_depth = count: the signers sign the whole step before the beacon's clock starts and stop
# there (count is also their limit), so no signing happens while it sends (the manifest's
# pool.prefilled and pool.produced are checked). The beacon writes each closed second's row to a
# FIFO (--out json=FIFO); at every row this script reads /proc/PID/stat (utime+stime, all threads)
# of the beacon and of witness_node. The measured window runs from the close of second 0 to the
# close of the last full second with sends, so it holds sending only: not setup, not pre-signing,
# not the drain after the last send. CPU per transaction = CPU in the window / transactions sent
# in the window; the same window for both processes. A step is sustainable when >= 99% of offered
# was accepted, >= 99% of accepted included, and no unanswered broadcasts piled up (none left
# unanswered or timed out, the in-flight window never 90% full, at most half a second of sends in
# flight when sending ended, sending not later than 1 s behind the schedule). The host is shared:
# each step also says what other processes used of the CPU in the window (/proc/stat: user,
# nice, system, irq, softirq less the node and the beacon), the hypervisor's steal time, and the
# load average (which counts the node and the beacon too).
#
# Safety: witness_node runs only inside a network namespace with nothing but loopback (this script
# re-executes itself under `unshare --net`), with --seed-nodes "[]" and 127.0.0.1 endpoints
# (ports 15010 p2p, 15011 rpc). Everything started is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

if [[ ${BTS_REALNODE_BENCH_NETNS:-} != 1 ]]; then
  export BTS_REALNODE_BENCH_NETNS=1
  exec unshare --net bash "$0" "$@"
fi

ip link set lo up
if ip -o link show | awk -F': ' '{print $2}' | grep -vqx 'lo'; then
  echo "realnode_bench: the network namespace has interfaces other than lo; refusing" >&2
  ip -o link show >&2
  exit 1
fi

build=${1:-build}
[[ $build = /* ]] || build=$root/$build
bin=$build/bin/bts-infra
[[ -x $bin ]] || { echo "realnode_bench: $bin not built" >&2; exit 1; }
rates=(${RATES:-500 1000 1500 2000 2500 2750 3000 3250 3500 4000})
step_seconds=${STEP_SECONDS:-15}
stop_after=${STOP_AFTER:-2}
n_accounts=${ACCOUNTS:-10}
out=${BTS_REALNODE_OUT:-$build/realnode-bench}
p2p_port=15010
rpc_port=15011
node_url=ws://127.0.0.1:$rpc_port
connections=${CONNECTIONS:-8}
max_in_flight=${MAX_IN_FLIGHT:-2000}
mkdir -p "$out"
rm -rf "$out"/steps "$out"/steps.jsonl
mkdir -p "$out/steps"
results=$out/results.txt
: > "$results"
say() { echo "$*" | tee -a "$results"; }

witness=${BTS_WITNESS_NODE:-$out/witness_node}
if [[ ! -x $witness ]]; then
  xz -dc "$root/../shared/real-node/witness_node.xz" > "$witness.tmp"
  chmod +x "$witness.tmp"
  mv "$witness.tmp" "$witness"
fi

tmp=$(mktemp -d /tmp/realnode-bench.XXXXXX)
# A private copy, taken under the build lock (shared): a rebuild cannot replace it mid-run.
flock -s -n /tmp/bts-build.lock cp "$bin" "$tmp/bts-infra" 2>/dev/null || {
  echo "# waiting for the build lock (a build is running)"
  flock -s -w 900 /tmp/bts-build.lock cp "$bin" "$tmp/bts-infra"
}
bin=$tmp/bts-infra
node_pid=
beacon_pid=
stop_pid() {  # PID: SIGTERM, up to 10 s, then SIGKILL
  local pid=$1
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$beacon_pid"
  stop_pid "$node_pid"
  if [[ ${KEEP:-} == 1 ]]; then echo "# node data kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load() { cut -d' ' -f1-3 /proc/loadavg; }
clk_tck=$(getconf CLK_TCK)

say "# realnode_bench $(date -u +%FT%TZ), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
say "# load average at start: $(load)"
say "# network namespace links: $(ip -o link show | awk -F': ' '{print $2}' | xargs)"

# Genesis: the devnet's built-in one (bitshares-core defaults, nathan a lifetime member) with
# block_interval 1 and a recent initial_timestamp divisible by 5.
"$bin" devnet --print-genesis --block-interval 1 > "$tmp/printed.json"
python3 - "$tmp/printed.json" "$tmp/genesis.json" <<'EOF' | tee -a "$results"
import json, sys, time, datetime
g = json.load(open(sys.argv[1]))
t = int(time.time()) // 5 * 5 - 5
g["initial_timestamp"] = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
open(sys.argv[2], "w").write(json.dumps(g, indent=2) + "\n")
p = g["initial_parameters"]
print("# genesis: block_interval %d s, maximum_block_size %d, maximum_transaction_size %d (bitshares-core defaults but the interval)"
      % (p["block_interval"], p["maximum_block_size"], p["maximum_transaction_size"]))
EOF
say "# $connections connections, max_in_flight $max_in_flight, $step_seconds s per step, single-transfer transactions"

dev_pub=BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV
dev_wif=5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3
args=(-d "$tmp/p0" --genesis-json "$tmp/genesis.json" --seed-nodes "[]"
      --p2p-endpoint 127.0.0.1:$p2p_port --rpc-endpoint 127.0.0.1:$rpc_port
      --enable-stale-production --required-participation 0
      --private-key "[\"$dev_pub\",\"$dev_wif\"]")
for i in $(seq 1 11); do args+=(--witness-id "\"1.6.$i\""); done
"$witness" "${args[@]}" > "$out/witness_node.log" 2>&1 &
node_pid=$!

rpc() {
  curl -s -m 2 -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"call\",\"params\":[\"database\",\"$1\",[]]}" \
    "http://127.0.0.1:$rpc_port/"
}
head_block() { rpc get_dynamic_global_properties | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["head_block_number"])' 2>/dev/null || echo 0; }
for _ in $(seq 1 120); do
  (( $(head_block) >= 2 )) && break
  kill -0 "$node_pid" 2>/dev/null || { echo "realnode_bench: witness_node exited" >&2; tail -20 "$out/witness_node.log" >&2; exit 1; }
  sleep 0.5
done
(( $(head_block) >= 2 )) || { echo "realnode_bench: witness_node produced no blocks in 60 s" >&2; exit 1; }
say "# witness_node pid $node_pid on 127.0.0.1:$rpc_port (default plugins), head $(head_block)"

# Accounts, funded for every step: 20 BTS fee plus up to 1 BTS per transfer, twice over.
total_tx=0
for r in "${rates[@]}"; do total_tx=$(( total_tx + r * step_seconds )); done
fund=$(( total_tx * 2100000 * 2 / n_accounts ))
(( fund < 100000000000 )) && fund=100000000000
umask 077
printf '%s\n' "$dev_wif" > "$tmp/nathan.wif"
umask 022
"$bin" beacon provision --node "$node_url" --registrar nathan --registrar-wif-file "$tmp/nathan.wif" \
  --claim-genesis-balance --count "$n_accounts" --accounts-out "$tmp/accounts.txt" --fund "$fund" \
  > "$out/provision.json" 2> "$out/provision.log" \
  || { echo "realnode_bench: provisioning failed" >&2; cat "$out/provision.log" >&2; exit 1; }
say "# provisioned $n_accounts accounts, $fund units each, for $total_tx transactions"

# The node's idle CPU (empty blocks every second), over 5 s.
read -r -a s0 <<< "$(sed 's/.*) //' /proc/$node_pid/stat)"
sleep 5
read -r -a s1 <<< "$(sed 's/.*) //' /proc/$node_pid/stat)"
say "# witness_node idle: $(awk -v d=$(( s1[11] + s1[12] - s0[11] - s0[12] )) -v hz="$clk_tck" 'BEGIN { printf "%.1f", 100 * d / hz / 5 }')% of a core"

fails=0
step=0
for rate in "${rates[@]}"; do
  step=$((step + 1))
  count=$(( rate * step_seconds ))
  dir=$out/steps/$rate
  mkdir -p "$dir"
  cat > "$dir/scenario.yaml" <<EOF
name: realnode-bench
nodes:
  - url: $node_url
    connections: $connections
mix: {transfer: 1}
ops_per_tx: 1
amount: {kind: uniform, min: 1, max: 100000}
max_in_flight: $max_in_flight
presign_depth: $count
signer_threads: $(nproc)
expiration_seconds: 600
EOF
  fifo=$tmp/rows.$rate.fifo
  mkfifo "$fifo"
  exec 3<>"$fifo"  # read-write: opening never blocks, even if the beacon fails to start
  load_start=$(load)
  "$bin" beacon run --scenario "$dir/scenario.yaml" --rate "$rate" --count "$count" --seed "$step" \
    --accounts "$tmp/accounts.txt" --run-dir "$dir/run" --node-load "proc:$node_pid" \
    --out "json=$fifo" --quiet > "$dir/summary.json" 2> "$dir/beacon.log" &
  beacon_pid=$!
  # One sample per closed second, taken when its row arrives: wall time, both /proc/PID/stat.
  : > "$dir/samples.tsv"
  started=$SECONDS
  buf=
  while :; do
    if IFS= read -r -t 2 line <&3; then
      t=$EPOCHREALTIME
      bs=; ns=
      read -r bs 2>/dev/null < "/proc/$beacon_pid/stat" || true
      read -r ns 2>/dev/null < "/proc/$node_pid/stat" || true
      nt=  # the node's threads, to tell whether one of them is the limit
      for f in /proc/$node_pid/task/*/stat; do read -r x 2>/dev/null < "$f" && nt+="$x|"; done
      read -r cpu 2>/dev/null < /proc/stat || true  # the host: what the other processes used
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$bs" "$ns" "$nt" "$cpu" "$buf$line" >> "$dir/samples.tsv"
      buf=
    else
      buf+=$line  # a timeout keeps what it read of a line
      st=Z
      read -r st 2>/dev/null < "/proc/$beacon_pid/stat" || true
      st=${st##*) }
      [[ ${st:0:1} == Z ]] && break  # exited (gone, or not yet reaped): every row was read
      if (( SECONDS - started > step_seconds + 150 )); then
        echo "realnode_bench: the beacon run at $rate tx/s is overdue; stopping it" >&2
        kill "$beacon_pid" 2>/dev/null || true
      fi
    fi
  done
  exec 3<&-
  rc=0
  wait "$beacon_pid" || rc=$?
  beacon_pid=
  rm -f "$fifo"
  load_end=$(load)
  if (( rc != 0 )); then
    echo "realnode_bench: beacon run at $rate tx/s failed (exit $rc):" >&2
    tail -5 "$dir/beacon.log" >&2
    exit 1
  fi
  kill -0 "$node_pid" 2>/dev/null || { echo "realnode_bench: witness_node died" >&2; exit 1; }
  python3 - "$dir" "$rate" "$step_seconds" "$clk_tck" "$max_in_flight" "$load_start" "$load_end" \
    >> "$out/steps.jsonl" <<'EOF'
import json, sys
d, rate, T, hz, mif = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def ticks(stat):
    f = stat[stat.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])  # utime, stime (fields 14, 15), all threads
first = 0      # the window opens at the close of second 0: connections warm, the schedule running
samples = []
for ln in open(d + "/samples.tsv"):
    t, bs, ns, nt, cpu, row = ln.rstrip("\n").split("\t", 5)
    threads = {}
    for st in nt.split("|"):
        if st:
            threads[int(st.split()[0])] = (st[st.index("(") + 1:st.rindex(")")], ticks(st))
    c = [int(x) for x in cpu.split()[1:]]  # user nice system idle iowait irq softirq steal
    samples.append((float(t), bs, ns, json.loads(row), threads, sum(c[:3]) + c[5] + c[6], c[7]))
summary = json.load(open(d + "/summary.json"))
manifest = json.load(open(d + "/run/manifest.json"))
rows = [s[3] for s in samples]
sending = [i for i, r in enumerate(rows) if r["sent"] > 0]
last = sending[-1]
if last > 1 and rows[last]["sent"] < 0.9 * rate:
    last -= 1  # a partial last second of sends stays out of the window
if not samples[last][1] or not samples[first][1]:
    raise SystemExit("no /proc sample at the window's ends")
dt = samples[last][0] - samples[first][0]
busiest = max(((tid, name, (v - samples[first][4][tid][1]) / hz) for tid, (name, v) in samples[last][4].items()
               if tid in samples[first][4]), key=lambda x: x[2])
node_pid = int(samples[last][2].split()[0])
groups = {}  # the node's CPU by thread: main, other witness_node threads, pool workers, p2p
for tid, (name, v) in samples[last][4].items():
    if tid in samples[first][4]:
        g = "main" if tid == node_pid else ("pool workers" if name.startswith("pool worker") else name)
        groups[g] = groups.get(g, 0) + (v - samples[first][4][tid][1]) / hz
b_cpu = (ticks(samples[last][1]) - ticks(samples[first][1])) / hz
n_cpu = (ticks(samples[last][2]) - ticks(samples[first][2])) / hz
host_cpu = (samples[last][5] - samples[first][5]) / hz
steal = (samples[last][6] - samples[first][6]) / hz
win = rows[first + 1:last + 1]
sent_w = sum(r["sent"] for r in win)
tot = summary["totals"]
pool = manifest.get("pool", {})
timeouts = sum(r.get("timeouts", 0) for r in rows)
peak_in_flight = max(r["in_flight"] for r in rows[:last + 1])
send_seconds = len(sending)
mean = lambda k: (sum(r[k] for r in win if r.get(k) is not None) / max(1, sum(1 for r in win if r.get(k) is not None)))
signing_outside = pool.get("prefilled") == tot["offered"] == pool.get("produced") and pool.get("misses", 0) == 0
end_in_flight = rows[last]["in_flight"]
piled = (tot["unanswered"] > 0 or timeouts > 0 or peak_in_flight >= 0.9 * mif or send_seconds > T + 1
         or end_in_flight > 0.5 * rate)
acc_ok = tot["accepted"] >= 0.99 * tot["offered"]
inc_ok = tot["accepted"] > 0 and tot["included"] >= 0.99 * tot["accepted"]
incl = summary.get("latency_us", {}).get("inclusion_corrected", {})
ack = summary.get("latency_us", {}).get("ack_corrected", {})
out = {
    "rate": rate, "offered": tot["offered"], "sent": tot["sent"], "accepted": tot["accepted"],
    "rejected": tot["rejected"], "unanswered": tot["unanswered"], "included": tot["included"],
    "timeouts": timeouts, "peak_in_flight": peak_in_flight, "end_in_flight": end_in_flight, "send_seconds": send_seconds,
    "window_s": round(dt, 3), "window_sent": sent_w, "window_rate": round(sent_w / dt, 1),
    "node_cpu_s": round(n_cpu, 2), "beacon_cpu_s": round(b_cpu, 2),
    "node_pct": round(100 * n_cpu / dt, 1), "beacon_pct": round(100 * b_cpu / dt, 1),
    "node_us_per_tx": round(1e6 * n_cpu / sent_w, 1), "beacon_us_per_tx": round(1e6 * b_cpu / sent_w, 1),
    "ratio": round(b_cpu / n_cpu, 3) if n_cpu > 0 else None,
    "others_pct": round(100 * max(0.0, host_cpu - b_cpu - n_cpu) / dt, 1), "steal_pct": round(100 * steal / dt, 1),
    "beacon_self_pct": round(mean("beacon_cpu_percent"), 1), "send_thread_pct": round(mean("send_cpu_percent"), 1),
    "node_rows_pct": round(mean("node_cpu_percent"), 1),
    "node_busiest_thread": "%s (tid %d%s)" % (busiest[1], busiest[0], ", main" if busiest[0] == node_pid else ""),
    "node_busiest_thread_pct": round(100 * busiest[2] / dt, 1),
    "node_threads_pct": {g: round(100 * v / dt, 1) for g, v in sorted(groups.items(), key=lambda x: -x[1])},
    "inclusion_p99_ms": round(incl.get("p99", 0) / 1000, 1) if incl else None,
    "ack_p99_ms": round(ack.get("p99", 0) / 1000, 1) if ack else None,
    "prefilled": pool.get("prefilled"), "prefill_s": pool.get("prefill_seconds"), "signed": pool.get("produced"),
    "pool_misses": pool.get("misses"), "signing_outside_window": signing_outside,
    "accepted_ok": acc_ok, "included_ok": inc_ok, "piled_up": piled,
    "sustainable": acc_ok and inc_ok and not piled,
    "load_start": sys.argv[6], "load_end": sys.argv[7],
}
print(json.dumps(out))
EOF
  python3 - "$out/steps.jsonl" <<'EOF' | tee -a "$results"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])][-1]
print("step rate=%d accepted=%d/%d included=%d node=%.1f%% (%.0f us/tx) beacon=%.1f%% (%.0f us/tx; send thread %.1f%%) ratio=%.3f node_busiest_thread=%.1f%% peak_in_flight=%d ack_p99=%sms inclusion_p99=%sms sustainable=%s others=%.1f%% steal=%.1f%% load=%s..%s%s"
      % (s["rate"], s["accepted"], s["offered"], s["included"], s["node_pct"], s["node_us_per_tx"],
         s["beacon_pct"], s["beacon_us_per_tx"], s["send_thread_pct"], s["ratio"], s["node_busiest_thread_pct"], s["peak_in_flight"],
         s["ack_p99_ms"], s["inclusion_p99_ms"], "yes" if s["sustainable"] else "NO", s["others_pct"], s["steal_pct"], s["load_start"], s["load_end"],
         "" if s["signing_outside_window"] else "  [WARNING: signing overlapped the window]"))
EOF
  if grep -q '"sustainable": true' <(tail -1 "$out/steps.jsonl"); then fails=0; else fails=$((fails + 1)); fi
  if (( stop_after > 0 && fails >= stop_after )); then
    say "# stopping: $fails unsustainable steps in a row"
    break
  fi
  sleep 2  # the node settles (its pending pool is empty: the beacon saw everything included)
done

say "# load average at end: $(load)"
python3 - "$out/steps.jsonl" <<'EOF' | tee -a "$results"
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1])]
print()
print("| offered tx/s | accepted | included | node CPU | node's busiest thread | node µs/tx | beacon CPU | beacon µs/tx | send thread | beacon/node | peak in flight | ack p99 | incl. p99 | sustainable | other processes' CPU | steal | load avg (1 min) start→end |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for s in steps:
    print("| %s | %s / %s | %s | %.1f%% | %.1f%% | %.0f | %.1f%% | %.1f | %.1f%% | **%.3f** | %d | %.2f s | %.1f s | %s | %.1f%% | %.1f%% | %s → %s |" % (
        format(s["rate"], ","), format(s["accepted"], ","), format(s["offered"], ","), format(s["included"], ","),
        s["node_pct"], s["node_busiest_thread_pct"], s["node_us_per_tx"], s["beacon_pct"], s["beacon_us_per_tx"], s["send_thread_pct"],
        s["ratio"], s["peak_in_flight"], s["ack_p99_ms"] / 1000, s["inclusion_p99_ms"] / 1000, "yes" if s["sustainable"] else "no",
        s["others_pct"], s["steal_pct"], s["load_start"].split()[0], s["load_end"].split()[0]))
print()
# The highest sustainable rate: the highest step that was sustainable (all lower steps too, or it
# is said).
good = [s for s in steps if s["sustainable"]]
for s in steps:
    print("realnode.step.%d.ratio=%.3f" % (s["rate"], s["ratio"]))
if good:
    best = max(good, key=lambda s: s["rate"])
    below = [s for s in steps if s["rate"] < best["rate"] and not s["sustainable"]]
    print("realnode.highest_sustainable_rate=%d" % best["rate"])
    print("realnode.node_cpu_percent_at_highest=%.1f" % best["node_pct"])
    print("realnode.beacon_cpu_percent_at_highest=%.1f" % best["beacon_pct"])
    print("realnode.node_us_per_tx_at_highest=%.1f" % best["node_us_per_tx"])
    print("realnode.beacon_us_per_tx_at_highest=%.1f" % best["beacon_us_per_tx"])
    print("realnode.ratio_at_highest=%.3f" % best["ratio"])
    print("realnode.node_threads_at_highest=%s" % ",".join("%s:%.1f%%" % kv for kv in best["node_threads_pct"].items()))
    print("realnode.goal_ratio=0.25 (%s)" % ("met" if best["ratio"] <= 0.25 else "NOT met"))
    if below:
        print("# note: lower steps were not sustainable: %s" % ", ".join(str(s["rate"]) for s in below))
    nxt = [s for s in steps if s["rate"] > best["rate"]]
    if nxt:
        n = nxt[0]
        why = [w for w, bad in (("accepted < 99%% of offered", not n["accepted_ok"]), ("included < 99%% of accepted", not n["included_ok"]),
               ("broadcasts piled up (peak in flight %d, %d at the end of sending, %d unanswered)" % (n["peak_in_flight"], n["end_in_flight"], n["unanswered"]), n["piled_up"])) if bad]
        print("# the next step, %d tx/s: %s; node %.1f%% of a core, its main thread %.1f%%" % (
            n["rate"], "; ".join(why) or "sustainable", n["node_pct"], n["node_threads_pct"].get("main", 0)))
    if best is steps[-1]:
        print("# note: the highest step offered was sustained: the node's limit is above it")
else:
    print("realnode.highest_sustainable_rate=none")
EOF
echo "# written to $results and $out/steps.jsonl"
