// A local overseer and simulated beacons for page tests (and for looking at the dashboard by hand:
// `BTS_BIN=build/bin/bts-infra node tests/browser/overseer_fleet.js` prints the URL and the admin
// token file, and runs until Ctrl-C).
//   const fleet = await startFleet({ beacons: ['alpha', 'beta'] });
//   fleet.base  // http://127.0.0.1:PORT
//   fleet.adminToken
//   await fleet.waitConnected(2);
//   fleet.stop();  // always: kills every child
// Tokens go to files (mode 0600) in a temporary directory, never to argv.
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

function field(line, name) { const w = line.trim().split(/\s+/); return w[w.indexOf(name) + 1]; }

async function startFleet({ beacons = ['alpha', 'beta'], bin = process.env.BTS_BIN, log = () => {} } = {}) {
  if (!bin || !fs.existsSync(bin)) throw new Error(`BTS_BIN not built: ${bin}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bts-overseer-page-'));
  const children = [];
  const byName = new Map();  // 'overseer' or a beacon's name -> its process
  const stderr = [];
  const fleet = {
    dir,
    adminToken: 'admin-' + crypto.randomBytes(12).toString('hex'),
    beaconToken: 'beacon-' + crypto.randomBytes(12).toString('hex'),
    stderr,
    // Kills one process ('overseer' or a beacon's name) and waits for it to exit.
    kill(name) {
      const c = byName.get(name);
      if (!c) throw new Error(`no process ${name}`);
      if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); });
    },
    stop() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const adminFile = path.join(dir, 'admin.token');
  const beaconFile = path.join(dir, 'beacon.token');
  fs.writeFileSync(adminFile, fleet.adminToken + '\n', { mode: 0o600 });
  fs.writeFileSync(beaconFile, fleet.beaconToken + '\n', { mode: 0o600 });
  fleet.adminTokenFile = adminFile;

  function spawnChild(name, args) {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    byName.set(name, child);
    child.stderr.on('data', (d) => { const s = String(d); stderr.push(s); log(s); });
    return child;
  }
  try {
    const ov = spawnChild('overseer', ['overseer', 'serve', '--listen', '127.0.0.1:0', '--store', path.join(dir, 'results.db'),
      '--token-file', beaconFile, '--admin-token-file', adminFile]);
    const banner = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('overseer printed no banner in 20 s')), 20000);
      ov.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('overseer listening '));
        if (line && out.includes('\n')) { clearTimeout(timer); resolve(line); }
      });
      ov.on('exit', (code) => { clearTimeout(timer); reject(new Error(`overseer exited with ${code}: ${stderr.join('')}`)); });
    });
    fleet.base = field(banner, 'listening');
    const control = field(banner, 'control');
    fleet.control = control;
    for (const name of beacons) {
      spawnChild(name, ['overseer', 'agent', '--overseer', control.replace(/\/control$/, ''), '--name', name,
        '--token-file', beaconFile, '--simulate']);
    }
    fleet.waitConnected = async (n, timeoutMs = 15000) => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const list = await (await fetch(fleet.base + '/api/beacons')).json();
        if (list.filter((b) => b.connection === 'connected').length >= n) return list;
        if (Date.now() > end) throw new Error(`only ${JSON.stringify(list)} connected after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    return fleet;
  } catch (e) {
    fleet.stop();
    throw e;
  }
}

module.exports = { startFleet };

if (require.main === module) {
  startFleet({ log: (s) => process.stderr.write(s) }).then(async (fleet) => {
    await fleet.waitConnected(2);
    console.log(`dashboard ${fleet.base}/  admin token file ${fleet.adminTokenFile}  (Ctrl-C stops)`);
    const stop = () => { fleet.stop(); process.exit(0); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }, (e) => { console.error(e.message); process.exit(1); });
}
