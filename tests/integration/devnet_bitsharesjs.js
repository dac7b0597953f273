// An independent client against `bts-infra devnet`: bitsharesjs + bitsharesjs-ws (npm) connect,
// build a transfer with TransactionBuilder (fees from get_required_fees, TaPoS and expiration
// from 2.1.0), sign it with the development key and broadcast it with
// broadcast_transaction_with_callback; the devnet must accept it and include it. The block that
// holds it is then checked with bitsharesjs's serializers: header bytes -> block id (as the next
// block's `previous`), witness signature -> development key, transactions -> merkle root.
//
//   node devnet_bitsharesjs.js BTS_INFRA_BINARY ORACLE_NODE_MODULES
"use strict";
const {spawn} = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const [binaryArg, modulesArg] = process.argv.slice(2);
const binary = binaryArg && path.resolve(binaryArg);
const modules = modulesArg && path.resolve(modulesArg);
function fail(message) {
  console.error("devnet_bitsharesjs: FAIL: " + message);
  process.exit(1);
}
if (!binary || !modules) fail("usage: devnet_bitsharesjs.js BTS_INFRA_BINARY ORACLE_NODE_MODULES");
if (!fs.existsSync(path.join(modules, "bitsharesjs")) || !fs.existsSync(path.join(modules, "bitsharesjs-ws"))) {
  fail(`bitsharesjs is not installed in ${modules} (run scripts/prepare-oracle.sh BUILD_DIR)`);
}
const {Apis, ChainConfig} = require(path.join(modules, "bitsharesjs-ws"));
const {TransactionBuilder, PrivateKey, Signature, ops, hash} = require(path.join(modules, "bitsharesjs"));

const WIF = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
const deadline = setTimeout(() => fail("timed out after 60 s"), 60000);

const devnet = spawn(binary, ["devnet", "--listen", "127.0.0.1:0"], {stdio: ["ignore", "pipe", "inherit"]});
devnet.on("exit", (code) => {
  if (!finished) fail(`devnet exited early with ${code}`);
});
let finished = false;

function firstLine(stream) {
  return new Promise((resolve, reject) => {
    let buffer = "";
    stream.on("data", (chunk) => {
      buffer += chunk.toString();
      const nl = buffer.indexOf("\n");
      if (nl >= 0) resolve(buffer.slice(0, nl));
    });
    stream.on("end", () => reject(new Error("no banner")));
  });
}

function blockId(block, num) {
  const header = ops.signed_block_header.toBuffer(ops.signed_block_header.fromObject(block));
  const id = crypto.createHash("sha224").update(header).digest().slice(0, 20);
  id.writeUInt32BE(num, 0);
  return id.toString("hex");
}

// pack(processed_transaction): the signed transaction, then its operation results. (bitsharesjs's
// processed_transaction serializer cannot read void_result [0,{}], so the results, all
// void_result for transfers, are appended by hand.)
function packProcessed(t) {
  const signed = ops.signed_transaction.toBuffer(ops.signed_transaction.fromObject(t));
  const results = t.operation_results;
  if (results.length > 127 || results.some((r) => r[0] !== 0)) fail("expected void results only");
  return Buffer.concat([signed, Buffer.from([results.length]), Buffer.alloc(results.length, 0)]);
}

function merkleRoot(block) {
  if (block.transactions.length === 0) return "00".repeat(20);
  let ids = block.transactions.map((t) => hash.sha256(packProcessed(t)));
  while (ids.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < ids.length; i += 2) next.push(hash.sha256(Buffer.concat([ids[i], ids[i + 1]])));
    if (ids.length % 2) next.push(ids[ids.length - 1]);
    ids = next;
  }
  return hash.ripemd160(ids[0]).toString("hex");
}

async function main() {
  const banner = await firstLine(devnet.stdout);
  const m = /^devnet listening (ws:\/\/\S+) chain_id ([0-9a-f]{64}) /.exec(banner);
  if (!m) fail("unexpected banner: " + banner);
  const [, url, chainId] = m;
  console.log("devnet_bitsharesjs: " + banner);

  ChainConfig.setPrefix("BTS");
  const api = Apis.instance(url, true);
  await api.init_promise;
  if (api.chain_id !== chainId) fail(`get_chain_id ${api.chain_id} != banner ${chainId}`);

  const db = api.db_api();
  // Wait for block 1 so that TaPoS refers to a real block.
  for (let i = 0; i < 50; i++) {
    const [dgp] = await db.exec("get_objects", [["2.1.0"]]);
    if (dgp.head_block_number >= 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const key = PrivateKey.fromWif(WIF);
  // The genesis allocation is a balance object owned by the key's address, as on witness_node:
  // bitsharesjs builds and signs the balance_claim (operation 37) that moves it into nathan.
  const owner = key.toPublicKey().toAddressString("BTS");
  const balances = await db.exec("get_balance_objects", [[owner]]);
  if (balances.length !== 1 || balances[0].id !== "1.15.0") fail("get_balance_objects: " + JSON.stringify(balances));
  const claim = new TransactionBuilder();
  claim.add_type_operation("balance_claim", {
    fee: {amount: 0, asset_id: "1.3.0"},
    deposit_to_account: "1.2.17",
    balance_to_claim: balances[0].id,
    balance_owner_key: key.toPublicKey().toPublicKeyString("BTS"),
    total_claimed: balances[0].balance,
  });
  await claim.set_required_fees();
  claim.add_signer(key, key.toPublicKey().toPublicKeyString("BTS"));
  await claim.broadcast();
  const [nathan] = await db.exec("get_account_balances", ["nathan", ["1.3.0"]]);
  if (nathan.amount !== balances[0].balance.amount) fail("after the claim nathan holds " + JSON.stringify(nathan));
  if ((await db.exec("get_balance_objects", [[owner]])).length !== 0) fail("1.15.0 still there after the claim");
  console.log(`devnet_bitsharesjs: balance_claim of ${nathan.amount} into nathan included`);

  const [before] = await db.exec("get_account_balances", ["init1", ["1.3.0"]]);
  const tr = new TransactionBuilder();
  tr.add_type_operation("transfer", {
    fee: {amount: 0, asset_id: "1.3.0"},
    from: "1.2.17",
    to: "1.2.7",
    amount: {amount: 123450, asset_id: "1.3.0"},
  });
  await tr.set_required_fees();
  tr.add_signer(key, key.toPublicKey().toPublicKeyString("BTS"));
  const included = await tr.broadcast();  // resolves on the inclusion notice
  const result = Array.isArray(included) ? included[0] : included;
  if (!result || typeof result.block_num !== "number") fail("unexpected inclusion notice " + JSON.stringify(included));
  console.log(`devnet_bitsharesjs: transfer ${result.id} included in block ${result.block_num} at ${result.trx_num}`);

  const [after] = await db.exec("get_account_balances", ["init1", ["1.3.0"]]);
  if (Number(after.amount) - Number(before.amount) !== 123450) fail(`balance moved ${before.amount} -> ${after.amount}`);

  const block = await db.exec("get_block", [result.block_num]);
  const tx = block.transactions[result.trx_num];
  if (!tx || tx.signatures[0] !== tr.signatures[0].toString("hex")) fail("the block does not hold our transaction");
  // Wait for the next block, whose `previous` is this block's id.
  let next = null;
  for (let i = 0; i < 60 && !next; i++) {
    next = await db.exec("get_block", [result.block_num + 1]);
    if (!next) await new Promise((r) => setTimeout(r, 100));
  }
  if (!next) fail("no next block");
  const id = blockId(block, result.block_num);
  if (id !== next.previous) fail(`block id ${id} (bitsharesjs) != next.previous ${next.previous}`);
  const headerDigest = hash.sha256(ops.block_header.toBuffer(ops.block_header.fromObject(block)));
  const signer = Signature.fromHex(block.witness_signature).recoverPublicKey(headerDigest).toPublicKeyString("BTS");
  if (signer !== key.toPublicKey().toPublicKeyString("BTS")) fail(`block signed by ${signer}`);
  const root = merkleRoot(block);
  if (root !== block.transaction_merkle_root) fail(`merkle root ${root} (bitsharesjs) != ${block.transaction_merkle_root}`);
  console.log(`devnet_bitsharesjs: block ${result.block_num} id ${id}, signature and merkle root check out`);
}

main()
  .then(() => {
    finished = true;
    clearTimeout(deadline);
    Apis.close();
    devnet.kill("SIGTERM");
    console.log("devnet_bitsharesjs: PASS");
    process.exit(0);
  })
  .catch((e) => fail(e && e.stack ? e.stack : String(e)));
