// `overseer serve --out elasticsearch=URL` end to end against a loopback fake Elasticsearch
// (node's http): refused credentials (401) and an unreachable URL are one error line and exit 2
// before the overseer listens; with a cluster that answers, a run of two simulated beacons
// reaches `_bulk` as merged rows (scope run), per-beacon rows (scope beacon), events and the
// run manifest up to "completed". Bounded to 60 s; kills everything on exit.
//
//   node es_output_cli_test.js BTS_INFRA_BINARY
"use strict";
const {spawn, spawnSync} = require("child_process");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");

const binary = process.argv[2] && path.resolve(process.argv[2]);
const children = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "es_output_cli_test."));
let failed = false;
let server;

function cleanup() {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch (e) {}
  }
  if (failed) for (const c of children) console.error(`== ${c.name}\n${c.log.slice(-2000)}`);
  if (server) server.close();
  fs.rmSync(work, {recursive: true, force: true});
}
function fail(message) {
  failed = true;
  console.error("es_output_cli_test: FAIL: " + message);
  cleanup();
  process.exit(1);
}
if (!binary) fail("usage: es_output_cli_test.js BTS_INFRA_BINARY");
setTimeout(() => fail("timed out after 60 s"), 60000).unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(name, args, env = {}) {
  const child = spawn(binary, args, {stdio: ["ignore", "pipe", "pipe"], env: {...process.env, ...env}});
  child.name = name;
  child.log = "";
  child.stdout.on("data", (d) => (child.log += d));
  child.stderr.on("data", (d) => (child.log += d));
  child.on("exit", (code) => {
    child.exited = true;
    child.code = code;
  });
  children.push(child);
  return child;
}
async function waitFor(child, re, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = child.log.match(re);
    if (m) return m;
    if (child.exited) fail(`${child.name} exited ${child.code}: ${child.log.slice(-500)}`);
    await sleep(50);
  }
  fail(`${child.name}: no ${re} within ${ms} ms`);
}
async function eventually(what, f, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await sleep(200);
  }
  fail(`${what} within ${ms} ms`);
}
function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, {timeout: 5000}, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({status: res.statusCode, body}));
    }).on("error", reject);
  });
}

// The fake cluster. mode "401": every request refused; "ok": an Elasticsearch 8.
let mode = "401";
const docs = [];  // {index, id, source}
server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const send = (status, obj) => {
      res.writeHead(status, {"content-type": "application/json"});
      res.end(JSON.stringify(obj));
    };
    if (mode === "401") {
      return send(401, {error: {type: "security_exception", reason: "unable to authenticate user [bts]"}, status: 401});
    }
    if (req.method === "GET" && req.url === "/") {
      return send(200, {name: "n", cluster_name: "c", version: {number: "8.13.4", build_flavor: "default"}});
    }
    if (req.method === "PUT" && req.url.startsWith("/_index_template/")) return send(200, {acknowledged: true});
    if (req.method === "POST" && req.url === "/_bulk") {
      const lines = body.split("\n").filter((l) => l.length > 0);
      const items = [];
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const action = JSON.parse(lines[i]).index;
        docs.push({index: action._index, id: action._id, source: JSON.parse(lines[i + 1])});
        items.push({index: {_index: action._index, _id: action._id, status: 201}});
      }
      return send(200, {took: 1, errors: false, items});
    }
    send(404, {error: "not found"});
  });
});

(async () => {
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const es = `http://127.0.0.1:${server.address().port}`;
  fs.writeFileSync(path.join(work, "beacon.token"), "es-test-beacon-token\n", {mode: 0o600});
  fs.writeFileSync(path.join(work, "admin.token"), "es-test-admin-token\n", {mode: 0o600});
  const serveArgs = (out) => [
    "overseer", "serve", "--listen", "127.0.0.1:0", "--store", path.join(work, "results.db"),
    "--token-file", path.join(work, "beacon.token"), "--admin-token-file", path.join(work, "admin.token"),
    "--out", out,
  ];

  // Refused credentials and an unreachable cluster: one line, exit 2, before listening.
  // (spawnSync would block the fake server's event loop: run them asynchronously.)
  const refused = start("overseer-401", serveArgs(`elasticsearch=http://bts@127.0.0.1:${server.address().port}`),
                        {BTS_ES_PASSWORD: "wrong-password"});
  await eventually("the 401 overseer to exit", async () => refused.exited, 15000);
  const line401 = refused.log.trim();
  if (refused.code !== 2 || line401.split("\n").length !== 1 || !/refused the credentials/.test(line401) ||
      /wrong-password/.test(line401)) {
    fail(`401: exit ${refused.code}, output: ${line401}`);
  }
  const unreachable = start("overseer-unreachable", serveArgs("elasticsearch=http://127.0.0.1:1"));
  await eventually("the unreachable overseer to exit", async () => unreachable.exited, 15000);
  if (unreachable.code !== 2 || !/cannot reach http:\/\/127\.0\.0\.1:1/.test(unreachable.log) ||
      /listening/.test(unreachable.log)) {
    fail(`unreachable: exit ${unreachable.code}, output: ${unreachable.log}`);
  }

  // A cluster that answers: a run's data arrives.
  mode = "ok";
  const ov = start("overseer", serveArgs(`elasticsearch=${es}?prefix=bts&spool=${path.join(work, "spool")}`));
  const port = (await waitFor(ov, /overseer listening http:\/\/127\.0\.0\.1:(\d+)/))[1];
  const ovHttp = `http://127.0.0.1:${port}`;
  for (const name of ["b1", "b2"]) {
    start(name, ["beacon", "serve", "--overseer", `ws://127.0.0.1:${port}`, "--name", name,
                 "--token-file", path.join(work, "beacon.token"), "--simulate"]);
  }
  await eventually("2 beacons", async () => JSON.parse((await get(`${ovHttp}/api/beacons`)).body).length === 2, 15000);
  fs.writeFileSync(path.join(work, "scenario.yaml"),
                   "name: es-test\nnodes:\n  - url: ws://127.0.0.1:1\nload: {kind: constant, rate: 20}\nduration: 3s\n");
  const ctlEnv = {...process.env, BTS_ADMIN_TOKEN: "es-test-admin-token"};
  const created = spawnSync(binary, ["ctl", "--overseer", ovHttp, "create", "--scenario", path.join(work, "scenario.yaml")],
                            {env: ctlEnv, encoding: "utf8", timeout: 15000});
  if (created.status !== 0) fail(`ctl create: ${created.stderr}`);
  const id = JSON.parse(created.stdout).id;
  await eventually("beacons prepared", async () =>
    JSON.parse((await get(`${ovHttp}/api/beacons`)).body).every((b) => b.state === "prepared"), 15000);
  const started = spawnSync(binary, ["ctl", "--overseer", ovHttp, "start", id], {env: ctlEnv, encoding: "utf8", timeout: 15000});
  if (started.status !== 0) fail(`ctl start: ${started.stderr}`);

  const seconds = (beacon) => new Set(docs.filter((d) => d.source.record === "second" && d.source.run === id &&
                                                         d.source.beacon === beacon).map((d) => d.source.second));
  await eventually("merged and per-beacon rows, events and a completed manifest in _bulk", async () => {
    const manifest = docs.filter((d) => d.index === "bts-runs" && d.id === id).map((d) => d.source.status);
    return seconds("").size === 3 && seconds("b1").size === 3 && seconds("b2").size === 3 &&
           docs.some((d) => d.source.kind === "start" && d.source.run === id) && manifest.includes("completed");
  }, 20000);
  const merged = docs.find((d) => d.source.record === "second" && d.source.beacon === "" && d.source.run === id);
  const one = docs.find((d) => d.source.record === "second" && d.source.beacon === "b1");
  if (merged.source.scope !== "run" || one.source.scope !== "beacon") fail(`scopes: ${merged.source.scope} ${one.source.scope}`);
  if (!/^bts-stats-\d{4}\.\d{2}\.\d{2}$/.test(merged.index)) fail(`stats index ${merged.index}`);
  if (merged.source.beacons !== 2) fail(`merged row of ${merged.source.beacons} beacons`);
  const manifest = docs.filter((d) => d.index === "bts-runs" && d.id === id).pop().source;
  if (manifest.beacons.length !== 2) fail(`manifest beacons: ${JSON.stringify(manifest.beacons)}`);
  console.log(`es_output_cli_test: OK run ${id}: ${docs.length} documents, 401 and unreachable refused at start`);
  cleanup();
  process.exit(0);
})().catch((e) => fail(e.stack || String(e)));
