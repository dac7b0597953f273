// `bts-infra devnet` as a process: the banner a script reads, startup in under a second, JSON-RPC
// over HTTP and /metrics on every endpoint of --nodes, clean exit (0) on SIGTERM and SIGINT, and a
// --data-dir chain that continues after a restart. Uses only node's standard library.
//
//   node devnet_process.js BTS_INFRA_BINARY
"use strict";
const {spawn, spawnSync} = require("child_process");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");

const binary = process.argv[2] && path.resolve(process.argv[2]);
function fail(message) {
  console.error("devnet_process: FAIL: " + message);
  process.exit(1);
}
if (!binary) fail("usage: devnet_process.js BTS_INFRA_BINARY");
setTimeout(() => fail("timed out after 60 s"), 60000).unref();

function start(args) {
  const started = Date.now();
  const child = spawn(binary, ["devnet", "--listen", "127.0.0.1:0", ...args], {stdio: ["ignore", "pipe", "pipe"]});
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const banner = new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({line: out.slice(0, nl), ms: Date.now() - started});
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code} before the banner: ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({code, signal, stderr})));
  return {child, banner, exited};
}

function post(url, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url.replace("ws://", "http://"));
    const req = http.request({host: u.hostname, port: u.port, method: "POST", path: "/"}, (res) => {
      let data = "";
      res.on("data", (d) => (data += d));
      res.on("end", () => resolve(JSON.parse(data)));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

function get(url, target) {
  return new Promise((resolve, reject) => {
    const u = new URL(url.replace("ws://", "http://"));
    http.get({host: u.hostname, port: u.port, path: target}, (res) => {
      let data = "";
      res.on("data", (d) => (data += d));
      res.on("end", () => resolve({status: res.statusCode, body: data}));
    }).on("error", reject);
  });
}

const call = (url, api, method, params = []) => post(url, {id: 1, method: "call", params: [api, method, params]});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function headNumber(url) {
  const r = await call(url, "database", "get_dynamic_global_properties");
  return r.result.head_block_number;
}

async function main() {
  const help = spawnSync(binary, ["devnet", "--help"], {encoding: "utf8"});
  if (help.status !== 0 || !help.stdout.includes("5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3") ||
      !help.stdout.includes("nathan")) {
    fail("--help does not document the accounts and keys");
  }
  const genesis = spawnSync(binary, ["devnet", "--print-genesis"], {encoding: "utf8"});
  if (genesis.status !== 0 || !JSON.parse(genesis.stdout).initial_accounts) fail("--print-genesis");
  const chainId = require("crypto").createHash("sha256").update(genesis.stdout).digest("hex");

  // Three endpoints, SIGTERM.
  const a = start(["--nodes", "3"]);
  const {line, ms} = await a.banner;
  const m = /^devnet listening (ws:\/\/127\.0\.0\.1:\d+) chain_id ([0-9a-f]{64}) endpoints (\S+) block_interval 1$/.exec(line);
  if (!m) fail("unexpected banner: " + line);
  if (m[2] !== chainId) fail(`chain id ${m[2]} is not sha256 of --print-genesis (${chainId})`);
  if (ms > 1000) fail(`started in ${ms} ms`);
  const endpoints = m[3].split(",");
  if (endpoints.length !== 3 || endpoints[0] !== m[1]) fail("endpoints: " + m[3]);
  console.log(`devnet_process: ready in ${ms} ms: ${line}`);
  for (const url of endpoints) {
    const r = await call(url, "database", "get_chain_id");
    if (r.result !== chainId) fail(`${url}: get_chain_id ${JSON.stringify(r)}`);
    const metrics = await get(url, "/metrics");
    if (metrics.status !== 200 || !metrics.body.includes("devnet_head_block_number{node=")) fail(`${url}: /metrics`);
  }
  let synced = false;
  for (let i = 0; i < 150 && !synced; i++) {
    const heads = await Promise.all(endpoints.map(headNumber));
    synced = heads[0] >= 2 && heads.every((h) => h === heads[0]);
    if (!synced) await sleep(100);
  }
  if (!synced) fail("endpoints do not reach the same head");
  a.child.kill("SIGTERM");
  const ea = await a.exited;
  if (ea.code !== 0) fail(`SIGTERM: exit ${ea.code} ${ea.signal} ${ea.stderr}`);

  // --data-dir survives a restart (SIGINT this time).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bts-devnet-"));
  try {
    const b = start(["--data-dir", dir]);
    const url = /^devnet listening (\S+)/.exec((await b.banner).line)[1];
    let head = 0;
    for (let i = 0; i < 150 && head < 2; i++) {
      head = await headNumber(url);
      if (head < 2) await sleep(100);
    }
    b.child.kill("SIGINT");
    const eb = await b.exited;
    if (eb.code !== 0) fail(`SIGINT: exit ${eb.code} ${eb.signal}`);
    const stopped = Number(/stopped at block (\d+)/.exec(eb.stderr)[1]);
    const c = start(["--data-dir", dir]);
    const url2 = /^devnet listening (\S+)/.exec((await c.banner).line)[1];
    const again = await headNumber(url2);
    if (again < stopped) fail(`restart from block ${again}, stopped at ${stopped}`);
    const block = await call(url2, "database", "get_block", [stopped]);
    if (!block.result) fail(`block ${stopped} is gone after the restart`);
    c.child.kill("SIGTERM");
    if ((await c.exited).code !== 0) fail("second SIGTERM");
    console.log(`devnet_process: --data-dir restart continued from block ${stopped}`);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
  console.log("devnet_process: PASS");
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
