// Cross-implementation oracle: bitsharesjs (npm) against bts-infra's protocol library.
//
//   node bitsharesjs_oracle.js gen --seed S --count N --out FILE
//       Generates N random transactions over every operation bts-infra supports (seeded, so a
//       failure replays from the seed), serializes, hashes and signs each with bitsharesjs, and
//       writes them with bitsharesjs's unsigned bytes, id, digest, signer and signature.
//   node bitsharesjs_oracle.js verify --in FILE
//       Reads the file that bts-infra's oracle_check wrote (each entry gains cpp_signature and
//       cpp_json, bts-infra's JSON form of the signed transaction) and checks that bts-infra's
//       signatures verify in bitsharesjs and that bitsharesjs re-serializes bts-infra's JSON to the
//       same bytes.
//   node bitsharesjs_oracle.js bench --count N
//       Signs N transactions with bitsharesjs and prints key=value lines (the peer for bench/).
"use strict";
const fs = require("fs");
const path = require("path");
const modules = path.resolve(process.env.ORACLE_MODULES || path.join(__dirname, "node_modules"));
const bs = require(path.join(modules, "bitsharesjs"));
// bitsharesjs checks key prefixes against the chain config; ours are BTS (mainnet form).
require(path.join(modules, "bitsharesjs-ws")).ChainConfig.setPrefix("BTS");
const {ops, PrivateKey, PublicKey, Signature, hash} = bs;

const CHAIN_ID = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";

// mulberry32: small, seedable, good enough to spread test inputs.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeGen(seed) {
  const r = rng(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (xs) => xs[int(0, xs.length - 1)];
  const bool = () => r() < 0.5;
  // int64 across the whole range, as a decimal string (bitsharesjs and fc both accept strings).
  const int64 = (nonNegative) => {
    const kind = int(0, 3);
    if (kind === 0) return int(0, 1000);
    if (kind === 1) return int(0, 2 ** 31 - 1);
    let v = BigInt(int(0, 2 ** 31 - 1)) * 4294967296n + BigInt(int(0, 2 ** 32 - 1));
    if (!nonNegative && bool()) v = -v;
    return v.toString();
  };
  const uint64 = () => (BigInt(int(0, 2 ** 32 - 1)) * 4294967296n + BigInt(int(0, 2 ** 32 - 1))).toString();
  const id = (space, type) => `${space}.${type}.${pick([0, 1, int(2, 127), int(128, 20000), int(20000, 3000000)])}`;
  const account = () => id(1, 2);
  const assetId = () => id(1, 3);
  const asset = (nonNegative = true) => ({amount: int64(nonNegative), asset_id: assetId()});
  const keys = Array.from({length: 16}, (_, i) => PrivateKey.fromSeed("oracle-key-" + i));
  const pub = () => pick(keys).toPublicKey().toString("BTS");
  const hex = (n) => Array.from({length: n}, () => int(0, 255).toString(16).padStart(2, "0")).join("");
  const time = () => new Date(int(0, 2 ** 32 - 1) * 1000).toISOString().slice(0, 19);
  const uniq = (f, n) => {
    const seen = new Map();
    for (let i = 0; i < n; i++) {
      const v = f();
      seen.set(JSON.stringify(v), v);
    }
    return [...seen.values()];
  };
  const memo = () => ({from: pub(), to: pub(), nonce: uint64(), message: hex(int(0, 80))});
  const maybe = (f) => (bool() ? f() : undefined);
  const authority = () => ({
    weight_threshold: int(0, 2 ** 32 - 1),
    account_auths: uniq(account, int(0, 4)).map((a) => [a, int(0, 65535)]),
    key_auths: uniq(pub, int(0, 5)).map((k) => [k, int(0, 65535)]),
    // At most one: bitsharesjs orders address_auths differently from fc (which compares the
    // 20 address bytes, as bts-infra does), so two entries would only test bitsharesjs's bug.
    address_auths: uniq(() => PublicKey.fromPublicKeyString(pub(), "BTS").toAddressString("BTS"), int(0, 1)).map((a) => [a, int(0, 65535)]),
  });
  const votes = () => uniq(() => `${int(0, 2)}:${int(0, 5000)}`, int(0, 6))
    // instances are unique across vote types on chain; keep them unique here too.
    .filter((v, i, all) => all.findIndex((w) => w.split(":")[1] === v.split(":")[1]) === i);
  const accountOptions = () => ({
    memo_key: pub(), voting_account: account(), num_witness: int(0, 65535),
    num_committee: int(0, 65535), votes: votes(), extensions: [],
  });
  const price = () => ({base: asset(), quote: asset()});
  const ids = (f) => uniq(f, int(0, 3));
  const assetOptions = () => {
    const ext = {};
    if (bool()) ext.reward_percent = int(0, 10000);
    if (bool()) ext.whitelist_market_fee_sharing = ids(account);
    if (bool()) ext.taker_fee_percent = int(0, 10000);
    return {
      max_supply: int64(true), market_fee_percent: int(0, 10000), max_market_fee: int64(true),
      issuer_permissions: int(0, 65535), flags: int(0, 65535), core_exchange_rate: price(),
      whitelist_authorities: ids(account), blacklist_authorities: ids(account),
      whitelist_markets: ids(assetId), blacklist_markets: ids(assetId),
      description: pick(["", "test asset", "ünïcødé ✓", hex(int(1, 40))]), extensions: ext,
    };
  };
  const bitassetOptions = () => {
    const ext = {};
    for (const f of ["initial_collateral_ratio", "maintenance_collateral_ratio", "maximum_short_squeeze_ratio", "margin_call_fee_ratio", "force_settle_fee_percent"]) {
      if (bool()) ext[f] = int(0, 65535);
    }
    if (bool()) ext.black_swan_response_method = int(0, 3);
    return {
      feed_lifetime_sec: int(0, 2 ** 32 - 1), minimum_feeds: int(0, 255),
      force_settlement_delay_sec: int(0, 2 ** 32 - 1), force_settlement_offset_percent: int(0, 65535),
      maximum_force_settlement_volume: int(0, 65535), short_backing_asset: assetId(), extensions: ext,
    };
  };
  const name = () => pick(["a", "nathan", "bts-infra-" + int(0, 99999), "x" + hex(int(1, 20)), "init0"]);
  const symbol = () => pick(["BTS", "TEST", "USD", "BTSINFRA", "ASSET.SUB"]) + (bool() ? "" : String(int(0, 9)));
  const withOpt = (o, k, f) => { const v = maybe(f); if (v !== undefined) o[k] = v; return o; };

  const builders = {
    0: () => withOpt({fee: asset(), from: account(), to: account(), amount: asset()}, "memo", memo),
    1: () => ({fee: asset(), seller: account(), amount_to_sell: asset(), min_to_receive: asset(), expiration: time(), fill_or_kill: bool(), extensions: []}),
    2: () => ({fee: asset(), fee_paying_account: account(), order: id(1, 7), extensions: []}),
    3: () => ({fee: asset(), funding_account: account(), delta_collateral: asset(false), delta_debt: asset(false), extensions: bool() ? {target_collateral_ratio: int(0, 65535)} : {}}),
    5: () => ({fee: asset(), registrar: account(), referrer: account(), referrer_percent: int(0, 65535), name: name(), owner: authority(), active: authority(), options: accountOptions(), extensions: []}),
    6: () => {
      const o = {fee: asset(), account: account()};
      withOpt(o, "owner", authority); withOpt(o, "active", authority); withOpt(o, "new_options", accountOptions);
      o.extensions = [];
      return o;
    },
    8: () => ({fee: asset(), account_to_upgrade: account(), upgrade_to_lifetime_member: bool(), extensions: []}),
    10: () => {
      const o = {fee: asset(), issuer: account(), symbol: symbol(), precision: int(0, 12), common_options: assetOptions()};
      withOpt(o, "bitasset_opts", bitassetOptions);
      o.is_prediction_market = bool();
      o.extensions = [];
      return o;
    },
    11: () => {
      const o = {fee: asset(), issuer: account(), asset_to_update: assetId()};
      withOpt(o, "new_issuer", account);
      o.new_options = assetOptions();
      o.extensions = [];
      return o;
    },
    14: () => {
      const o = {fee: asset(), issuer: account(), asset_to_issue: asset(), issue_to_account: account()};
      withOpt(o, "memo", memo);
      o.extensions = [];
      return o;
    },
    15: () => ({fee: asset(), payer: account(), amount_to_reserve: asset(), extensions: []}),
    16: () => ({fee: asset(), from_account: account(), asset_id: assetId(), amount: int64(true), extensions: []}),
    // balance_claim: no extensions field (balance.hpp's FC_REFLECT has none).
    37: () => ({fee: asset(), deposit_to_account: account(), balance_to_claim: id(1, 15), balance_owner_key: pub(), total_claimed: asset()}),
    38: () => {
      const o = {fee: asset(), issuer: account(), from: account(), to: account(), amount: asset()};
      withOpt(o, "memo", memo);
      o.extensions = [];
      return o;
    },
  };
  // JS object key order matters for nothing on the wire, but keep fields in reflection order.
  const fixMemoOrder = (o) => {
    if (o.memo) { const m = o.memo; delete o.memo; const e = o.extensions; delete o.extensions; o.memo = m; o.extensions = e ?? []; }
    if (!("extensions" in o)) o.extensions = [];
    return o;
  };
  const tags = Object.keys(builders).map(Number);
  return {
    tags,
    keys,
    transaction(i) {
      const nops = pick([1, 1, 1, 2, 3, int(4, 8)]);
      const operations = [];
      // Cycle through every tag first so each run covers all operations.
      for (let k = 0; k < nops; k++) {
        const tag = k === 0 ? tags[i % tags.length] : pick(tags);
        operations.push([tag, tag === 37 ? builders[tag]() : fixMemoOrder(builders[tag]())]);
      }
      return {ref_block_num: int(0, 65535), ref_block_prefix: int(0, 2 ** 32 - 1), expiration: time(), operations, extensions: []};
    },
    signer: () => int(0, keys.length - 1),
  };
}

function unsignedBuffer(txJson) {
  return ops.transaction.toBuffer(ops.transaction.fromObject(txJson));
}

function arg(name, dflt) {
  const i = process.argv.indexOf("--" + name);
  return i > 0 ? process.argv[i + 1] : dflt;
}

function gen() {
  const seed = Number(arg("seed", "1"));
  const count = Number(arg("count", "1000"));
  const g = makeGen(seed);
  const chain = Buffer.from(CHAIN_ID, "hex");
  const out = [];
  for (let i = 0; i < count; i++) {
    const tx = g.transaction(i);
    const buf = unsignedBuffer(tx);
    const key = g.keys[g.signer()];
    const sig = Signature.signBuffer(Buffer.concat([chain, buf]), key);
    out.push({
      index: i, chain_id: CHAIN_ID, tx,
      unsigned_hex: buf.toString("hex"),
      id: hash.sha256(buf).slice(0, 20).toString("hex"),
      digest: hash.sha256(Buffer.concat([chain, buf])).toString("hex"),
      signer_wif: key.toWif(), signer_public_key: key.toPublicKey().toString("BTS"),
      js_signature: sig.toHex(),
    });
  }
  fs.writeFileSync(arg("out"), JSON.stringify(out));
  const covered = new Set(out.flatMap((e) => e.tx.operations.map((o) => o[0])));
  console.log(`oracle gen: ${count} transactions, seed ${seed}, operations ${[...covered].sort((a, b) => a - b).join(",")}`);
}

function verify() {
  const entries = JSON.parse(fs.readFileSync(arg("in"), "utf8"));
  let failures = 0;
  const fail = (e, what) => {
    if (failures++ < 10) console.error(`oracle verify: transaction ${e.index}: ${what}`);
  };
  for (const e of entries) {
    const chain = Buffer.from(e.chain_id, "hex");
    const buf = Buffer.from(e.unsigned_hex, "hex");
    const sig = Signature.fromHex(e.cpp_signature);
    if (!sig.verifyBuffer(Buffer.concat([chain, buf]), PublicKey.fromPublicKeyString(e.signer_public_key, "BTS"))) {
      fail(e, "bts-infra's signature does not verify in bitsharesjs");
    }
    const recovered = sig.recoverPublicKeyFromBuffer(Buffer.concat([chain, buf])).toString("BTS");
    if (recovered !== e.signer_public_key) fail(e, `bts-infra's signature recovers to ${recovered} in bitsharesjs`);
    // bts-infra's JSON (what it would send to a node) must mean the same bytes to bitsharesjs.
    const cppTx = JSON.parse(JSON.stringify(e.cpp_json));
    delete cppTx.signatures;
    let again;
    try {
      again = unsignedBuffer(cppTx).toString("hex");
    } catch (err) {
      fail(e, `bitsharesjs cannot read bts-infra's JSON: ${err.message}`);
      continue;
    }
    if (again !== e.unsigned_hex) fail(e, `bitsharesjs serializes bts-infra's JSON to ${again}, expected ${e.unsigned_hex}`);
  }
  console.log(`oracle verify: ${entries.length} bts-infra signatures and JSON forms checked in bitsharesjs, ${failures} failures`);
  process.exit(failures ? 1 : 0);
}

function bench() {
  const count = Number(arg("count", "2000"));
  const g = makeGen(7);
  const key = g.keys[0];
  const chain = Buffer.from(CHAIN_ID, "hex");
  const bufs = Array.from({length: count}, (_, i) => Buffer.concat([chain, unsignedBuffer(g.transaction(i * 13))]));
  const t0 = process.hrtime.bigint();
  for (const b of bufs) Signature.signBuffer(b, key);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`bitsharesjs.sign_per_sec=${(count / seconds).toFixed(1)}`);
  const t1 = process.hrtime.bigint();
  const tx = g.transaction(0);
  const n = count * 10;
  for (let i = 0; i < n; i++) unsignedBuffer(tx);
  console.log(`bitsharesjs.serialize_per_sec=${(n / (Number(process.hrtime.bigint() - t1) / 1e9)).toFixed(1)}`);
}

const mode = process.argv[2];
if (mode === "gen") gen();
else if (mode === "verify") verify();
else if (mode === "bench") bench();
else {
  console.error("usage: bitsharesjs_oracle.js gen|verify|bench ...");
  process.exit(2);
}
