// A run visible live in a REAL Prometheus (Debian `prometheus`): `bts-infra overseer serve` and
// two `bts-infra beacon serve --simulate --metrics-listen 127.0.0.1:0` on ephemeral loopback
// ports, a prometheus.yml scraping the beacons and the overseer every second, a run created and
// started with `bts-infra ctl`; then Prometheus' HTTP API (/api/v1/query) must return the
// beacons' bts_infra_beacon_tx_sent_total and the overseer's bts_infra_run_* families, and,
// once the run completed, the same totals as the overseer's own merged series. The scenario's
// node has `node_load: node_exporter:URL` pointing at a real prometheus-node-exporter on
// loopback: the overseer reads it, and its memory and CPU per node reach Prometheus as
// bts_infra_run_node_load_*{node=...}. Everything is killed on exit; bounded to 60 s. Uses only
// node's standard library.
//
//   node prometheus_test.js BTS_INFRA_BINARY [PROMETHEUS_BINARY]
"use strict";
const {spawn, spawnSync} = require("child_process");
const fs = require("fs");
const http = require("http");
const net = require("net");
const os = require("os");
const path = require("path");

const binary = process.argv[2] && path.resolve(process.argv[2]);
const prometheusBin = process.argv[3] || "prometheus";
const children = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "prometheus_test."));
let failed = false;

function cleanup() {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch (e) {}
  }
  if (failed) {
    for (const c of children) {
      if (c.log) console.error(`== ${c.name}\n${c.log.slice(-2000)}`);
    }
  }
  fs.rmSync(work, {recursive: true, force: true});
}
function fail(message) {
  failed = true;
  console.error("prometheus_test: FAIL: " + message);
  cleanup();
  process.exit(1);
}
if (!binary) fail("usage: prometheus_test.js BTS_INFRA_BINARY [PROMETHEUS_BINARY]");
setTimeout(() => fail("timed out after 60 s"), 60000).unref();
process.on("SIGINT", () => fail("interrupted"));
process.on("SIGTERM", () => fail("terminated"));

function start(name, file, args, env) {
  const child = spawn(file, args, {stdio: ["ignore", "pipe", "pipe"], env: {...process.env, ...env}});
  child.name = name;
  child.log = "";
  child.stdout.on("data", (d) => (child.log += d));
  child.stderr.on("data", (d) => (child.log += d));
  child.on("exit", (code, signal) => {
    child.exited = true;
    child.log += `\n[exited code=${code} signal=${signal}]\n`;
  });
  children.push(child);
  return child;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits (max `ms`) until `re` matches the child's output; returns the match.
async function waitFor(child, re, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = child.log.match(re);
    if (m) return m;
    if (child.exited) fail(`${child.name} exited: ${child.log.slice(-500)}`);
    await sleep(50);
  }
  fail(`${child.name}: no ${re} within ${ms} ms`);
}

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, {headers, timeout: 5000}, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({status: res.statusCode, body}));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

// Polls `f` (async, returns a value or undefined) every 500 ms for up to `ms`.
async function eventually(what, f, ms) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await f();
      if (last !== undefined && last !== false) return last;
    } catch (e) {
      last = e.message;
    }
    await sleep(500);
  }
  fail(`${typeof what === "function" ? what() : what} within ${ms} ms (last: ${JSON.stringify(last)})`);
}

function ctl(overseer, args) {
  const r = spawnSync(binary, ["ctl", "--overseer", overseer, ...args], {
    env: {...process.env, BTS_ADMIN_TOKEN: fs.readFileSync(path.join(work, "admin.token"), "utf8").trim()},
    encoding: "utf8",
    timeout: 15000,
  });
  if (r.status !== 0) fail(`ctl ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

(async () => {
  const version = spawnSync(prometheusBin, ["--version"], {encoding: "utf8"});
  if (version.status !== 0) fail(`${prometheusBin} not found (scripts/install-deps.sh test installs it)`);

  const exporterBin = "/usr/bin/prometheus-node-exporter";
  if (!fs.existsSync(exporterBin)) fail(`${exporterBin} not found (scripts/install-deps.sh test installs it)`);
  const exporterPort = await freePort();
  start("node_exporter", exporterBin, [
    `--web.listen-address=127.0.0.1:${exporterPort}`, "--collector.disable-defaults", "--collector.cpu",
    "--collector.meminfo", "--collector.netdev", "--collector.diskstats",
  ]);
  const exporterUrl = `http://127.0.0.1:${exporterPort}/metrics`;
  await eventually("node_exporter answering", async () => (await get(exporterUrl)).status === 200 || undefined, 10000);

  fs.writeFileSync(path.join(work, "beacon.token"), "prometheus-test-beacon-token\n", {mode: 0o600});
  fs.writeFileSync(path.join(work, "admin.token"), "prometheus-test-admin-token\n", {mode: 0o600});

  const ov = start("overseer", binary, [
    "overseer", "serve", "--listen", "127.0.0.1:0", "--store", path.join(work, "results.db"),
    "--token-file", path.join(work, "beacon.token"), "--admin-token-file", path.join(work, "admin.token"),
    "--out", "prometheus",
  ]);
  const ovPort = (await waitFor(ov, /overseer listening http:\/\/127\.0\.0\.1:(\d+)/))[1];
  const ovHttp = `http://127.0.0.1:${ovPort}`;

  const beaconPorts = [];
  for (const name of ["b1", "b2"]) {
    const b = start(name, binary, [
      "beacon", "serve", "--overseer", `ws://127.0.0.1:${ovPort}`, "--name", name,
      "--token-file", path.join(work, "beacon.token"), "--simulate", "--metrics-listen", "127.0.0.1:0",
    ]);
    beaconPorts.push((await waitFor(b, /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
  }

  // The beacons' own /metrics answers before Prometheus is involved.
  const direct = await get(`http://127.0.0.1:${beaconPorts[0]}/metrics`);
  if (direct.status !== 200 || !/^bts_infra_beacon_up 1$/m.test(direct.body))
    fail(`beacon /metrics: ${direct.status} ${direct.body.slice(0, 200)}`);

  const promPort = await freePort();
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 1s",
    "scrape_configs:",
    "  - job_name: bts-beacons",
    "    static_configs:",
    `      - targets: [${beaconPorts.map((p) => `'127.0.0.1:${p}'`).join(", ")}]`,
    "  - job_name: bts-overseer",
    "    static_configs:",
    `      - targets: ['127.0.0.1:${ovPort}']`,
    "",
  ].join("\n");
  fs.writeFileSync(path.join(work, "prometheus.yml"), config);
  const prom = start("prometheus", prometheusBin, [
    `--config.file=${path.join(work, "prometheus.yml")}`,
    `--storage.tsdb.path=${path.join(work, "tsdb")}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    "--log.level=warn",
  ]);
  const promHttp = `http://127.0.0.1:${promPort}`;
  await eventually("prometheus ready", async () => (await get(`${promHttp}/-/ready`)).status === 200, 20000);

  // query(q) -> [{metric, value: number}]
  async function query(q) {
    const r = await get(`${promHttp}/api/v1/query?query=${encodeURIComponent(q)}`);
    const j = JSON.parse(r.body);
    if (j.status !== "success") throw new Error(`query ${q}: ${r.body}`);
    return j.data.result.map((x) => ({metric: x.metric, value: Number(x.value[1])}));
  }
  async function scalar(q) {
    const r = await query(q);
    return r.length === 1 ? r[0].value : undefined;
  }

  // Every target up, and the fleet as the overseer sees it.
  await eventually("3 targets up", async () => (await scalar("sum(up)")) === 3 || undefined, 15000);
  await eventually("2 beacons connected", async () =>
    (await scalar('bts_infra_overseer_beacons{connection="connected"}')) === 2 || undefined, 15000);
  await eventually("both clock offsets", async () =>
    (await query("bts_infra_overseer_beacon_clock_offset_seconds")).length === 2 || undefined, 15000);

  // A run through the overseer API.
  fs.writeFileSync(path.join(work, "scenario.yaml"),
                   "name: prometheus-test\nnodes:\n  - url: ws://127.0.0.1:1\n" +
                   `    node_load: node_exporter:${exporterUrl}\n` +
                   "load: {kind: constant, rate: 40}\nduration: 6s\n");
  const created = JSON.parse(ctl(ovHttp, ["create", "--scenario", path.join(work, "scenario.yaml")]));
  const id = created.id;
  if (!id) fail(`ctl create: no id in ${JSON.stringify(created)}`);
  await eventually("beacons prepared", async () => {
    const bs = JSON.parse((await get(`${ovHttp}/api/beacons`)).body);
    return bs.every((b) => b.state === "prepared") || undefined;
  }, 15000);
  ctl(ovHttp, ["start", id]);
  const sel = `{run="${id}"}`;

  // Live: beacon and run counters show up while the run is going.
  await eventually("live beacon and run counters", async () => {
    const beacons = await query(`bts_infra_beacon_tx_sent_total${sel}`);
    const run = await scalar(`bts_infra_run_tx_sent_total${sel}`);
    return (beacons.length === 2 && beacons.every((b) => b.value > 0) && run > 0) || undefined;
  }, 20000);

  // The node's load, read by the overseer from node_exporter, per node: memory in bytes (more
  // than 10 MB of a real host) and the host's cores.
  const nodeSel = `{run="${id}",node="ws://127.0.0.1:1"}`;
  const memory = await eventually("node memory in Prometheus", async () => {
    const v = await scalar(`bts_infra_run_node_load_memory_bytes${nodeSel}`);
    return v > 1e7 ? v : undefined;
  }, 20000);
  const cores = await scalar(`bts_infra_run_node_load_cpu_cores${nodeSel}`);
  if (cores !== os.cpus().length) fail(`node cores ${cores}, this host has ${os.cpus().length}`);

  // Consistent with the overseer's own series once the run is over.
  await eventually("run completed", async () => {
    const r = JSON.parse((await get(`${ovHttp}/api/runs/${id}`)).body);
    return r.status === "completed" || undefined;
  }, 25000);
  const series = JSON.parse((await get(`${ovHttp}/api/runs/${id}/series`)).body);
  if (!series.some((r) => (r.node_load || []).some((l) => l.node === "ws://127.0.0.1:1" && l.memory_bytes > 1e7)))
    fail(`no node_load in the overseer's series: ${JSON.stringify(series.map((r) => r.node_load)).slice(0, 300)}`);
  const sent = series.reduce((a, r) => a + r.sent, 0);
  const included = series.reduce((a, r) => a + r.included, 0);
  if (!(sent > 0)) fail(`overseer series has no sends: ${JSON.stringify(series).slice(0, 300)}`);
  let seen = "";
  await eventually(() => `Prometheus totals equal to the overseer's series (sent ${sent}, included ${included}; ` +
                         `run sent, beacons' sent, run included, histogram count, +Inf: ${seen})`, async () => {
    const runSent = await scalar(`bts_infra_run_tx_sent_total${sel}`);
    const beaconSent = await scalar(`sum(bts_infra_beacon_tx_sent_total${sel})`);
    const runIncluded = await scalar(`bts_infra_run_tx_included_total${sel}`);
    const histCount = await scalar(`bts_infra_run_inclusion_latency_seconds_count${sel}`);
    const inf = await scalar(`bts_infra_run_inclusion_latency_seconds_bucket{run="${id}",le="+Inf"}`);
    seen = [runSent, beaconSent, runIncluded, histCount, inf].join(" ");
    return (runSent === sent && beaconSent === sent && runIncluded === included && histCount === included &&
            inf === included) || undefined;
  }, 15000);

  // The histogram gives a median through PromQL (simulated latencies are about 20 ms).
  const p50 = await scalar(`histogram_quantile(0.5, sum by (le) (bts_infra_beacon_inclusion_latency_seconds_bucket${sel}))`);
  if (!(p50 > 0.001 && p50 < 1)) fail(`beacon inclusion p50 ${p50} s (expected about 0.02)`);
  const runP50 = await scalar(`histogram_quantile(0.5, bts_infra_run_inclusion_latency_seconds_bucket${sel})`);
  if (!(runP50 > 0.001 && runP50 < 1)) fail(`run inclusion p50 ${runP50} s`);

  console.log(`prometheus_test: OK run ${id}: sent ${sent}, included ${included}, p50 ${p50.toFixed(4)} s (beacons) ` +
              `${runP50.toFixed(4)} s (run); node memory ${(memory / 1048576).toFixed(0)} MiB, ${cores} cores`);
  cleanup();
  process.exit(0);
})().catch((e) => fail(e.stack || String(e)));
