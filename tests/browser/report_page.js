// The HTML report in headless chromium, offline, from a file:// URL: every section and every
// plot is there and drawn (a non-blank canvas), no console errors; screenshots of a single-run
// and a comparison report go to artifactPath('report.png') and artifactPath('report-compare.png').
// The node load plots (CPU, memory, network, disk per node) are there for every run and got data.
// Also: bad input to `bts-infra report` fails with one line and a non-zero exit.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { withPage, artifactPath, run } = require('./lib');

const BIN = process.env.BTS_BIN;
const DATA = path.join(__dirname, '../report/testdata');

function report(args, out) {
  const stdout = execFileSync(BIN, ['report', ...args, '--out', out], { encoding: 'utf8' });
  const html = path.join(out, 'report.html');
  for (const f of ['report.html', 'report.md', 'report.json']) {
    if (!stdout.includes(path.join(out, f))) throw new Error(`report did not print ${f}: ${stdout}`);
    if (!fs.existsSync(path.join(out, f))) throw new Error(`missing ${f}`);
  }
  return html;
}

async function check(html, { sections, screenshot, runs }) {
  await withPage(async (page) => {
    await page.goto('file://' + html);
    await page.waitForFunction(() => [...document.querySelectorAll('figure.plot')].every((f) => f.dataset.rendered === '1'),
                               null, { timeout: 20000 });
    for (const id of sections) {
      const n = await page.locator(`section#${id}`).count();
      if (n !== 1) throw new Error(`section #${id}: found ${n}`);
      const heading = await page.locator(`section#${id} :is(h2, h3)`).first().innerText();
      if (!heading.trim()) throw new Error(`section #${id} has no heading`);
    }
    const plots = await page.evaluate(() => [...document.querySelectorAll('figure.plot')].map((f) => {
      const c = f.querySelector('canvas');
      let inked = 0;
      if (c && c.width > 0 && c.height > 0) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4 * 7) if (d[i] !== 0) inked++;
      }
      const legend = f.querySelector('.u-legend');
      const axes = [...f.querySelectorAll('.u-axis')].length;
      return { id: f.id, kind: f.dataset.kind, run: f.dataset.run, points: Number(f.dataset.points || 0), canvas: !!c, inked,
               legend: legend ? legend.innerText : '', axes, titles: f.dataset.axes || '' };
    }));
    if (plots.length < 8 * runs) throw new Error(`expected at least ${8 * runs} plots, found ${plots.length}`);
    for (const p of plots) {
      if (!p.canvas) throw new Error(`plot ${p.id}: no canvas`);
      if (p.inked < 50) throw new Error(`plot ${p.id}: canvas is blank (${p.inked} inked samples)`);
      if (!p.legend.trim()) throw new Error(`plot ${p.id}: no legend`);
      if (p.titles.split(' | ').length < 2) throw new Error(`plot ${p.id}: axes not labelled (${p.titles})`);
    }
    // Node load: one plot of each kind per run, with data, one legend entry per node.
    for (let r = 0; r < runs; r++) {
      for (const kind of ['node_cpu', 'node_memory', 'node_network', 'node_disk']) {
        const p = plots.filter((x) => x.kind === kind && x.run === String(r));
        if (p.length !== 1) throw new Error(`run ${r}: ${p.length} ${kind} plots`);
        if (p[0].points < 2) throw new Error(`run ${r}: ${kind} plot received no data (${p[0].points} points)`);
      }
    }
    // Axis labels with units on the throughput and latency plots.
    const labels = plots.map((p) => p.titles);
    for (const want of ['tx/s', 'latency (ms)', 'seconds since start', 'percentile', '% of one core', 'memory used (GiB)',
                        'network (KiB/s)', 'disk (KiB/s)']) {
      if (!labels.some((l) => l.includes(want))) throw new Error(`no axis labelled "${want}" (have ${[...new Set(labels)].join(', ')})`);
    }
    const verdict = await page.locator('section[id$="verdict"] p.good, section[id$="verdict"] p.bad').first().innerText();
    if (!verdict.trim()) throw new Error('verdict is empty');
    await page.screenshot({ path: artifactPath(screenshot), fullPage: true });
    console.log(`${path.basename(html)}: ${sections.length} sections, ${plots.length} plots drawn; verdict: ${verdict}`);
  }, { offline: true });
}

function expectOneLineFailure(args, what) {
  const r = spawnSync(BIN, ['report', ...args], { encoding: 'utf8' });
  const lines = r.stderr.trim().split('\n');
  if (r.status === 0) throw new Error(`${what}: exit 0`);
  if (lines.length !== 1 || !lines[0].startsWith('bts-infra report: ')) throw new Error(`${what}: stderr ${JSON.stringify(r.stderr)}`);
  if (r.stdout !== '') throw new Error(`${what}: wrote to stdout`);
}

run(async () => {
  if (!BIN) throw new Error('BTS_BIN is not set');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bts-report-page-'));
  try {
    const single = report(['--run-dir', path.join(DATA, 'max_run')], path.join(tmp, 'single'));
    const perRun = (p) => ['verdict', 'summary', 'over-time', 'latency', 'blocks', 'beacons', 'nodes', 'rate-search', 'events',
                           'appendix'].map((s) => `${p}${s}`);
    await check(single, { sections: perRun('run0-'), screenshot: 'report.png', runs: 1 });
    const both = report(['--run-dir', path.join(DATA, 'max_run'), '--run-dir', path.join(DATA, 'golden_run')],
                        path.join(tmp, 'compare'));
    await check(both, { sections: ['comparison', ...perRun('run0-'), ...perRun('run1-')], screenshot: 'report-compare.png',
                        runs: 2 });

    const junk = path.join(tmp, 'junk.sqlite');
    fs.writeFileSync(junk, 'not a database at all, just some text that is long enough');
    expectOneLineFailure(['some-run', '--store', junk], 'unreadable store');
    expectOneLineFailure(['some-run', '--store', path.join(tmp, 'missing.sqlite')], 'missing store');
    expectOneLineFailure(['--run-dir', path.join(tmp, 'no-such-run')], 'missing run directory');
    expectOneLineFailure([], 'no run named');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
