// The overseer's dashboard in headless chromium, end to end: `bts-infra overseer serve` and two
// simulated beacons (`overseer agent --simulate`). The page shows both beacons; a wrong admin
// token gets the 401 message in the status line; with the right token the page creates a run
// from a preset, starts it, the charts receive data, a rate change shows in the offered series,
// and the run stops. Also: a run name full of markup stays text, the token never appears in a
// URL, and the page requests nothing but the overseer. Simulated beacons read no blocks, so the
// overseer's real GET /api/runs/ID/blocks answers (checked to be an empty array) get one
// synthetic block appended per poll, to see the block-fill chart draw them; likewise a
// rejection reason is added to one second, to see the errors chart grow a series for it, and
// one node's load (memory, network, disk) to later seconds, to see the node charts draw it.
'use strict';
const { withPage, artifactPath, run } = require('./lib');
const { startFleet } = require('./overseer_fleet');

const TEST_MS = 55000;

async function until(what, fn, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

run(async () => {
  const started = Date.now();
  const fleet = await startFleet({ beacons: ['alpha', 'beta'] });
  const guard = setTimeout(() => { console.error(`test exceeded ${TEST_MS} ms`); fleet.stop(); process.exit(1); }, TEST_MS);
  try {
    await fleet.waitConnected(2);
    await withPage(async (page, errors) => {
      const requests = [];
      page.on('request', (r) => requests.push(r.url()));
      const status = async () => page.locator('#status').innerText();
      const chart = async (id) => {
        const fig = page.locator('#' + id);
        return { points: Number(await fig.getAttribute('data-points')), last: JSON.parse((await fig.getAttribute('data-last')) || '{}') };
      };

      let blockPolls = 0;
      await page.route(/\/api\/runs\/[^/]+\/blocks\?from=\d+$/, async (route) => {
        const real = await route.fetch();
        const body = await real.json();
        if (real.status() !== 200 || !Array.isArray(body) || body.length) {
          throw new Error(`real blocks answer: ${real.status()} ${JSON.stringify(body)}`);
        }
        const from = Number(new URL(route.request().url()).searchParams.get('from'));
        const n = Math.max(from, 5000);
        blockPolls++;
        body.push({ block_num: n, time_ms: Date.now(), witness: '1.6.1', transactions: 40, operations: 40,
          bytes: 500000 * ((n % 4) + 1), run_transactions: 30, max_block_size: 2000000 });
        await route.fulfill({ response: real, json: body });
      });
      // Simulated beacons are never rejected: second 1 of the merged series gets a rejection
      // reason added on its way to the page, to see the errors chart grow a series for it.
      await page.route(/\/api\/runs\/[^/]+\/series\?from=\d+$/, async (route) => {
        const real = await route.fetch();
        const rows = await real.json();
        for (const r of rows) {
          if (r.second !== 1) continue;
          r.rejected_by_reason = { 'fc:3030001 duplicate_transaction': 2 };
          r.rejected_by_side = { beacon: 2, network: 0 };
        }
        // Simulated beacons measure no node: from second 2 on, one node's load is added (as a
        // beacon with node_load: node_exporter:URL reports it), disk reads unknown.
        for (const r of rows) {
          if (r.second >= 2 && !r.node_load) {
            r.node_load = [{ node: 'ws://127.0.0.1:8090', cpu_percent: 55, cpu_cores: 2, memory_bytes: 536870912,
              net_rx_bytes_per_s: 2048, net_tx_bytes_per_s: 1024, disk_read_bytes_per_s: null, disk_write_bytes_per_s: 4096 }];
          }
        }
        await route.fulfill({ response: real, json: rows });
      });
      await page.goto(fleet.base + '/');
      await page.waitForSelector('body[data-loaded]', { timeout: 10000 });
      // Both beacons, connected, idle, with host and cores.
      await page.waitForSelector('tr.beacon[data-connection="connected"] >> nth=1', { timeout: 10000 });
      const names = await page.locator('tr.beacon .name').allInnerTexts();
      if (JSON.stringify(names) !== JSON.stringify(['alpha', 'beta'])) throw new Error(`beacons shown: ${names}`);
      const rowText = await page.locator('tr.beacon').first().innerText();
      if (!/idle/.test(rowText) || !/\b\d+\b/.test(rowText)) throw new Error(`beacon row: ${rowText}`);
      if (!(await page.locator('#beacon-count').innerText()).includes('2 connected')) throw new Error('beacon count');
      const presets = await page.locator('#preset option').allInnerTexts();
      if (!presets.some((p) => p.includes('real-user-activity'))) throw new Error(`presets offered: ${presets}`);
      await page.screenshot({ path: artifactPath('overseer_dashboard_beacons.png'), fullPage: true });

      // No token: the page says so instead of sending.
      await page.click('#create');
      if (!(await status()).includes('type the admin token')) throw new Error(`without a token: ${await status()}`);

      // A wrong token: the overseer's 401 reaches the status line.
      await page.fill('#token', 'wrong-token-0000');
      await page.click('#token-save');
      await page.selectOption('#preset', 'real-user-activity');
      await page.click('#create');
      await until('the 401 message', async () => /401 unauthorized: admin token required/.test(await status()));
      if ((await page.locator('#status').getAttribute('data-kind')) !== 'error') throw new Error('401 not shown as an error');
      await page.screenshot({ path: artifactPath('overseer_dashboard_401.png') });

      // A scenario with a mistake: the overseer's 400, naming the line, reaches the status line.
      await page.fill('#token', fleet.adminToken);
      await page.click('#token-save');
      await page.selectOption('#preset', '');
      if (await page.locator('#scenario-text').isHidden()) throw new Error('no scenario text box for a custom scenario');
      await page.fill('#scenario-text', 'name: broken\nnodes: []\n');
      await page.click('#create');
      await until('the 400 message', async () => /POST \/api\/runs: 400 scenario:2:\d+: nodes/.test(await status()));
      await page.selectOption('#preset', 'real-user-activity');

      // The right token; a run named with markup (it must stay text).
      const hostile = '<img src=x id=injected onerror="window.__xss=1">';
      await page.fill('#token', fleet.adminToken);
      await page.click('#token-save');
      await page.fill('#run-name', hostile);
      await page.fill('#create-rate', '20');
      await page.fill('#create-duration', '60s');
      await page.click('#create');
      await until('the run to be created', async () => /Created run \S+ with 2 beacons/.test(await status()));
      const id = await until('the new run selected', async () => page.locator('#run-select').inputValue());
      await until('the run status', async () => (await page.locator('#run-status').getAttribute('data-status')) === 'created');
      if (!(await page.locator('#run-status').innerText()).includes(hostile)) throw new Error('run name not shown as text');
      if (await page.locator('#injected').count() !== 0 || await page.evaluate(() => window.__xss === 1)) throw new Error('run name was parsed as HTML');

      await page.click('#start');
      await until('the run to run', async () => (await page.locator('#run-status').getAttribute('data-status')) === 'running');
      // The charts receive data: three merged seconds at 20 tx/s in every chart.
      await until('three seconds in the charts', async () => (await chart('chart-rates')).points >= 3, 20000);
      const rates = await chart('chart-rates');
      if (rates.last.offered !== 20 || rates.last.included !== 20) throw new Error(`rates chart: ${JSON.stringify(rates)}`);
      for (const c of ['chart-latency', 'chart-errors', 'chart-cpu']) {
        const got = await chart(c);
        if (got.points !== rates.points && got.points < 3) throw new Error(`${c} has ${got.points} points`);
      }
      const latency = await chart('chart-latency');
      if (!(latency.last['inclusion p50'] > 0 && latency.last['ack p99'] >= latency.last['ack p50'])) throw new Error(`latency chart: ${JSON.stringify(latency)}`);
      const cpu = await chart('chart-cpu');
      if (!(cpu.last.beacon > 0) || cpu.last.node !== null) throw new Error(`cpu chart: ${JSON.stringify(cpu)}`);
      // Node memory, network and disk per node, in MiB and KiB/s; the not-measured note is gone.
      await until('node load charted', async () => (await chart('chart-node-memory')).last['127.0.0.1:8090'] === 512);
      const io = (await chart('chart-node-io')).last;
      if (io['127.0.0.1:8090 rx'] !== 2 || io['127.0.0.1:8090 tx'] !== 1 || io['127.0.0.1:8090 disk read'] !== null ||
          io['127.0.0.1:8090 disk write'] !== 4) throw new Error(`node io chart: ${JSON.stringify(io)}`);
      if ((await page.locator('#chart-node-memory').getAttribute('data-available')) !== 'yes' ||
          !(await page.locator('#chart-node-memory .note').isHidden())) throw new Error('node memory note shown with node load charted');
      const errs = await chart('chart-errors');
      if (errs.last.timeouts !== 0 || errs.last.disconnects !== 0 || errs.last['rejected fc:3030001 duplicate_transaction'] !== 0 ||
        errs.last['rejected beacon-side'] !== 0 || errs.last['rejected network-side'] !== 0) throw new Error(`errors chart: ${JSON.stringify(errs)}`);
      const legend = await page.locator('#chart-errors .u-legend').innerText();
      if (!legend.includes('rejected fc:3030001 duplicate_transaction') || !legend.includes('rejected beacon-side')) throw new Error(`errors legend: ${legend}`);
      await until('two blocks charted', async () => (await chart('chart-blocks')).points >= 2, 15000);
      const fill = (await chart('chart-blocks')).last;
      if (![25, 50, 75, 100].includes(fill['block fill']) || fill["run's share of its transactions"] !== 75) throw new Error(`blocks chart: ${JSON.stringify(fill)}`);
      if (!(await page.locator('#blocks-note').isHidden())) throw new Error('the no-blocks note stays with blocks charted');
      if (blockPolls < 2) throw new Error('blocks were not polled');
      if ((await page.locator('.chart canvas').count()) < 4) throw new Error('charts not drawn');
      await page.screenshot({ path: artifactPath('overseer_dashboard_running.png'), fullPage: true });

      // A bad rate is refused in the page; then 20 -> 60 tx/s shows in the offered series.
      await page.fill('#rate', '-5');
      await page.click('#set-rate');
      if (!(await status()).includes('expected a rate > 0')) throw new Error(`bad rate: ${await status()}`);
      const before = (await chart('chart-rates')).points;
      await page.fill('#rate', '60');
      await page.click('#set-rate');
      await until('the rate change', async () => /rate 60 tx\/s \(30 per beacon\)/.test(await status()));
      await until('60 tx/s offered in the chart', async () => (await chart('chart-rates')).last.offered === 60, 15000);
      if ((await chart('chart-rates')).points <= before) throw new Error('no new points after the rate change');
      if ((await page.locator('#run-status').getAttribute('data-rate')) !== '60') throw new Error('run status rate');

      await page.click('#stop');
      await until('the run to stop', async () => ['stopped', 'completed'].includes(await page.locator('#run-status').getAttribute('data-status')), 15000);
      await page.screenshot({ path: artifactPath('overseer_dashboard_stopped.png'), fullPage: true });
      // An ended run is read a few more times, then no more (each read loads it from the store).
      await until('the ended run no longer re-read', async () => {
        const n = requests.length;
        await new Promise((r) => setTimeout(r, 1500));
        return !requests.slice(n).some((u) => u.includes('/api/runs/' + id));
      }, 10000);

      // A beacon that goes away is shown lost; an overseer that goes away is reported, not hidden.
      await fleet.kill('beta');
      await until('beta shown lost', async () => (await page.locator('tr.beacon[data-name="beta"]').getAttribute('data-connection')) === 'lost', 10000);
      const betaRow = await page.locator('tr.beacon[data-name="beta"]').innerText();
      if (!/lost now · 1 time\b/.test(betaRow)) throw new Error(`lost beacon row: ${betaRow}`);
      const beforeKill = errors.length;
      await fleet.kill('overseer');
      await until('the unreachable overseer in the status line', async () => /overseer unreachable/.test(await status()), 10000);
      await page.screenshot({ path: artifactPath('overseer_dashboard_unreachable.png') });

      // The token stays in this tab's sessionStorage and out of every URL; nothing but the overseer.
      const stored = await page.evaluate(() => [sessionStorage.getItem('bts-overseer-admin-token'), JSON.stringify(localStorage)]);
      if (stored[0] !== fleet.adminToken || stored[1].includes(fleet.adminToken)) throw new Error('token storage');
      if (requests.some((u) => u.includes(fleet.adminToken) || u.includes('wrong-token'))) throw new Error('a token went into a URL');
      const foreign = requests.filter((u) => !u.startsWith(fleet.base + '/') && !u.startsWith('data:'));
      if (foreign.length) throw new Error(`requests beyond the overseer: ${foreign}`);
      // The only console errors allowed: chromium's notes on the expected 401 and 400, and the
      // polls that failed once the overseer was killed.
      const refused = /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET/;
      const unexpected = [...errors.slice(0, beforeKill).filter((e) => !/status of (401|400)/.test(e)),
        ...errors.slice(beforeKill).filter((e) => !refused.test(e) || (e.startsWith('requestfailed') && !e.includes(fleet.base)))];
      if (unexpected.length) throw new Error(`page errors:\n  ${unexpected.join('\n  ')}`);
      console.log(`overseer dashboard: 2 beacons, 401 shown, run ${id} created/started/stopped, ` +
        `${(await chart('chart-rates')).points} seconds charted, rate 20 -> 60 seen; ${Date.now() - started} ms`);
    }, { allowErrors: true, timeoutMs: TEST_MS });
  } finally {
    clearTimeout(guard);
    fleet.stop();
  }
});
