// The uptime status page in headless chromium: three devnet endpoints and a devnet on another
// chain tracked by `bts-infra uptime serve`; the page shows the groups, the states (3 up, 1 wrong
// network), a response-time chart per endpoint, and logs no console errors.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { withPage, artifactPath, run } = require('./lib');

const BIN = process.env.BTS_BIN;
const children = [];

function start(args, prefix) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args[0]} printed no banner`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith(prefix));
      if (line && out.includes('\n')) { clearTimeout(timer); resolve(line); }
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

function field(line, name) { const w = line.trim().split(/\s+/); return w[w.indexOf(name) + 1]; }

run(async () => {
  if (!BIN || !fs.existsSync(BIN)) throw new Error(`BTS_BIN not built: ${BIN}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bts-uptime-page-'));
  try {
    const devnet = await start(['devnet', '--nodes', '3', '--listen', '127.0.0.1:0'], 'devnet listening');
    const other = await start(['devnet', '--listen', '127.0.0.1:0', '--block-interval', '2'], 'devnet listening');
    const chain = field(devnet, 'chain_id');
    const urls = field(devnet, 'endpoints').split(',');
    const cond = `    conditions: ["[CONNECTED] == true", "[CHAIN_ID] == ${chain}", "[HEAD_BLOCK_AGE] < 30s"]\n`;
    let yaml = 'title: Page test\ndefaults: {interval: 500ms, timeout: 2s}\nendpoints:\n';
    urls.forEach((u, i) => { yaml += `  - name: node-${i}\n    group: Devnet\n    url: ${u}\n${cond}`; });
    yaml += `  - name: elsewhere\n    group: Other chain\n    url: ${field(other, 'endpoints')}\n${cond}`;
    const config = path.join(dir, 'uptime.yaml');
    fs.writeFileSync(config, yaml);
    const served = await start(['uptime', 'serve', '--config', config, '--listen', '127.0.0.1:0', '--db', path.join(dir, 'u.sqlite')], 'uptime listening');
    const base = field(served, 'listening');

    // Wait for a few probes of every endpoint.
    for (let i = 0; ; ++i) {
      const s = await (await fetch(`${base}/api/v1/status`)).json();
      const eps = s.groups.flatMap((g) => g.endpoints);
      if (eps.every((e) => e.probes >= 3)) break;
      if (i > 100) throw new Error('endpoints were not probed in time');
      await new Promise((r) => setTimeout(r, 100));
    }

    await withPage(async (page) => {
      await page.goto(base + '/');
      await page.waitForSelector('body[data-loaded]', { timeout: 15000 });
      const groups = await page.locator('.group h2').allInnerTexts();
      if (JSON.stringify(groups) !== JSON.stringify(['Devnet', 'Other chain'])) throw new Error(`groups: ${groups}`);
      const up = await page.locator('.endpoint[data-state="up"]').count();
      const wrong = await page.locator('.endpoint[data-state="wrong network"]').count();
      if (up !== 3 || wrong !== 1) throw new Error(`expected 3 up and 1 wrong network, got ${up} up, ${wrong} wrong`);
      const failed = await page.locator('.endpoint[data-state="wrong network"] .failed').innerText();
      if (!failed.includes('[CHAIN_ID]')) throw new Error(`wrong-network row lacks the failed condition: ${failed}`);
      const canvases = await page.locator('.chart canvas').count();
      if (canvases < 4) throw new Error(`expected a response-time chart per endpoint, found ${canvases} canvases`);
      const summary = await page.locator('#summary').innerText();
      if (!summary.includes('3 up') || !summary.includes('1 wrong network')) throw new Error(`summary: ${summary}`);
      const uptime = await page.locator('.endpoint[data-state="up"] .uptime').first().innerText();
      if (!uptime.includes('100.00%')) throw new Error(`uptime of an up node: ${uptime}`);
      await page.screenshot({ path: artifactPath('uptime_status.png'), fullPage: true });
    });
    const badge = await (await fetch(`${base}/badge/devnet_node-0.svg`)).text();
    if (!badge.includes('<svg') || !badge.includes('>up<')) throw new Error(`badge: ${badge.slice(0, 200)}`);
    const nodes = await (await fetch(`${base}/nodes.json`)).json();
    if (nodes.length !== 3 || !nodes.every((n) => n.url && n.location)) throw new Error(`nodes.json: ${JSON.stringify(nodes)}`);
    console.log('uptime status page: groups, 3 up + 1 wrong network, charts, badge, node list');
  } finally {
    for (const c of children) c.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
