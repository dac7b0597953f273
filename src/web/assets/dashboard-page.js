// bts-infra overseer dashboard (docs/dashboard.md). Reads the JSON API once a second
// (GET /api/beacons, /api/runs, /api/runs/ID, /api/runs/ID/series?from=N, incremental) and
// drives it (POST /api/runs, /start, /stop, /rate) with the admin token the user types; the
// token lives in sessionStorage only and travels in the Authorization header, never in a URL.
// Every server string reaches the page through textContent. Every API error is shown in the
// one-line #status.
'use strict';
(function () {
  const TOKEN_KEY = 'bts-overseer-admin-token';
  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);

  // ---- small helpers ------------------------------------------------------------------------
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function pill(state) {
    const s = String(state || 'unknown');
    return el('span', s, 'pill ' + s.replace(/[^a-z]/gi, '-'));
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    return Number(v).toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  function clock() { return new Date().toISOString().slice(11, 19); }

  let statusFromPoll = false;
  function status(message, kind) {
    const s = $('status');
    s.textContent = clock() + ' ' + message;
    s.title = message;
    s.className = 'status ' + (kind || '');
    s.dataset.kind = kind || 'info';
  }
  function actionStatus(message, kind) { statusFromPoll = false; status(message, kind); }

  // ---- the API ------------------------------------------------------------------------------
  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

  async function api(method, path, body) {
    const headers = {};
    if (method !== 'GET') {
      const t = token();
      if (t) headers.Authorization = 'Bearer ' + t;
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch (e) {
      throw new Error(method + ' ' + path + ': overseer unreachable (' + e.message + ')');
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      const why = data && typeof data.error === 'string' ? data.error : (text.trim().slice(0, 200) || res.statusText);
      const hint = res.status === 401 ? ' (check the admin token)' : '';
      const err = new Error(method + ' ' + path + ': ' + res.status + ' ' + why + hint);
      err.status = res.status;
      throw err;
    }
    if (data === null) throw new Error(method + ' ' + path + ': expected JSON, got ' + JSON.stringify(text.slice(0, 80)));
    return data;
  }

  // ---- token --------------------------------------------------------------------------------
  function showTokenState() {
    $('token-state').textContent = token() ? 'token set for this tab' : 'no token: read-only';
  }
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('token').value.trim();
    if (!t) { actionStatus('Type the admin token first (the overseer\'s --admin-token-file).', 'error'); return; }
    sessionStorage.setItem(TOKEN_KEY, t);
    $('token').value = '';
    showTokenState();
    actionStatus('Admin token kept for this tab (sessionStorage).', 'ok');
  });
  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('token').value = '';
    showTokenState();
    actionStatus('Admin token forgotten.', 'ok');
  });

  // ---- beacons ------------------------------------------------------------------------------
  const chosen = new Set();
  function renderBeacons(list) {
    const body = $('beacons').querySelector('tbody');
    body.replaceChildren();
    const names = new Set(list.map((b) => b.name));
    for (const n of [...chosen]) if (!names.has(n)) chosen.delete(n);
    let connected = 0;
    for (const b of list) {
      const tr = el('tr');
      tr.className = 'beacon';
      tr.dataset.name = b.name;
      tr.dataset.connection = b.connection;
      tr.dataset.state = b.state;
      const idle = b.connection === 'connected' && !b.run;
      if (b.connection === 'connected') connected++;
      const use = el('td');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.className = 'use';
      box.disabled = !idle;
      box.checked = chosen.has(b.name);
      box.addEventListener('change', () => { if (box.checked) chosen.add(b.name); else chosen.delete(b.name); });
      use.append(box);
      const state = el('td');
      state.append(pill(b.connection === 'connected' ? b.state : 'lost'));
      const lastSeen = b.last_seen_ms_ago < 0 ? 'never' : fmt(b.last_seen_ms_ago / 1000, 1) + ' s ago';
      const offset = b.clock_offset_us === null || b.clock_offset_us === undefined
        ? 'measuring…'
        : fmt(b.clock_offset_us / 1000, 2) + ' ms ± ' + fmt(b.clock_delay_us / 2000, 2);
      const lost = (b.connection === 'lost' ? 'lost now · ' : '') + b.losses + ' time' + (b.losses === 1 ? '' : 's');
      tr.append(use, el('td', b.name, 'name'), el('td', b.host), el('td', b.cores), state,
        el('td', b.run || '–'), el('td', b.rate === null ? '–' : fmt(b.rate, 2)), el('td', offset),
        el('td', lastSeen), el('td', lost), el('td', b.version));
      if (b.error || b.last_command_error) tr.title = b.error || b.last_command_error;
      body.append(tr);
    }
    $('beacons-empty').hidden = list.length > 0;
    $('beacon-count').textContent = connected + ' connected of ' + list.length;
  }

  // ---- runs ---------------------------------------------------------------------------------
  let runs = [];
  let selected = '';
  function renderRunSelect() {
    const sel = $('run-select');
    const keep = selected;
    sel.replaceChildren();
    const none = el('option', '(no run)');
    none.value = '';
    sel.append(none);
    for (const r of runs) {
      const o = el('option', r.id + ' · ' + r.status);
      o.value = r.id;
      sel.append(o);
    }
    if (keep && !runs.some((r) => r.id === keep)) {
      const o = el('option', keep);
      o.value = keep;
      sel.append(o);
    }
    sel.value = keep;
  }
  let userChoseNone = false;
  $('run-select').addEventListener('change', () => {
    userChoseNone = $('run-select').value === '';
    selectRun($('run-select').value);
  });

  function selectRun(id) {
    if (id === selected) return;
    selected = id;
    $('run-select').value = id;
    resetSeries();
    renderRun(null);
  }

  function renderRun(r) {
    const st = $('run-status');
    const tb = $('run-beacons').querySelector('tbody');
    tb.replaceChildren();
    $('run-summary').replaceChildren();
    if (!r) {
      st.textContent = selected ? 'Loading run ' + selected + '…' : 'No run selected.';
      st.dataset.status = '';
      $('run-title').textContent = '';
      return;
    }
    $('run-title').textContent = r.id;
    st.dataset.status = r.status;
    st.dataset.rate = r.rate === null || r.rate === undefined ? '' : String(r.rate);
    st.replaceChildren();
    st.append(pill(r.status), ' ', el('b', r.name), ' · scenario ', el('span', r.scenario_name),
      ' · created ', el('span', r.created_at));
    if (r.started_at) st.append(' · started ', el('span', r.started_at));
    if (r.ended_at) st.append(' · ended ', el('span', r.ended_at));
    if (r.rate !== undefined) st.append(' · rate ', el('b', r.rate === null ? 'scenario profile' : fmt(r.rate, 2) + ' tx/s'));
    st.append(' · merged up to second ', el('b', r.merged_up_to));
    if (r.stop_requested) st.append(' · stop requested');
    for (const b of r.beacons || []) {
      const tr = el('tr');
      const conn = el('td', b.connection ? null : '–');
      if (b.connection) conn.append(pill(b.connection));
      const state = el('td', b.state ? null : '–');
      if (b.state) state.append(pill(b.state));
      const nodes = Array.isArray(b.nodes) ? b.nodes.join(', ') : (b.info && Array.isArray(b.info.nodes) ? b.info.nodes.join(', ') : '');
      const rate = b.rate !== undefined ? b.rate : (b.info ? b.info.rate : undefined);
      tr.append(el('td', b.name), conn, state, el('td', nodes), el('td', rate === undefined ? '–' : fmt(rate, 2)),
        el('td', b.stored_second === undefined ? '–' : b.stored_second),
        el('td', b.finished === undefined ? '–' : (b.finished ? 'yes' : 'no')));
      tb.append(tr);
    }
    const s = r.summary;
    if (s && typeof s === 'object') {
      const box = $('run-summary');
      const rates = s.rates_tx_per_s || {};
      box.append('Summary: offered ', el('b', fmt(rates.offered, 2)), ', achieved ', el('b', fmt(rates.achieved, 2)),
        ', accepted ', el('b', fmt(rates.accepted, 2)), ', included ', el('b', fmt(rates.included, 2)), ' tx/s');
      if (s.verdict) {
        box.append(' · ', el('b', s.verdict.valid_for_throughput ? 'valid for throughput' : 'not valid for throughput'));
        for (const why of s.verdict.invalid_reasons || []) box.append(el('div', why));
      }
      // Each rejection reason with its side (stats/rejection.hpp decides it, the page only shows it).
      const rej = Array.isArray(s.rejections) ? s.rejections : [];
      for (const side of ['beacon', 'network']) {
        const of = rej.filter((x) => x && x.side === side && x.count > 0);
        if (!of.length) continue;
        box.append(el('div', (side === 'beacon' ? "Rejected, beacon-side (the beacons' own setup, not the network): " : 'Rejected, network-side: ') +
          of.map((x) => `${x.reason} ×${fmt(x.count, 0)}`).join(', ')));
      }
      appendHeadLag(box, s.per_node);
    }
  }

  // Each node that fell behind (summary per_node: seconds with a head lag of 2 blocks or more).
  function appendHeadLag(box, perNode) {
    for (const n of Array.isArray(perNode) ? perNode : []) {
      if (!n || !(n.seconds_behind > 0)) continue;
      let text = `${n.url} was up to ${n.peak_head_lag_blocks} blocks behind for ${n.seconds_behind} s`;
      if (typeof n.accepted === 'number' && n.accepted > 0) text += `; ${n.not_included} of the ${n.accepted} transactions it accepted were never included`;
      box.append(el('div', text));
    }
  }

  // ---- series and charts --------------------------------------------------------------------
  let rows = [];
  let next = 0;
  let finalFetched = false;
  let endedPolls = 0;
  let blockPolls = 0;  // polls since the run was seen ended (its last writes may trail the status)
  let reasons = [];
  // Node URLs seen in the rows' node_load (each measured node's memory, network and disk).
  let nodes = [];
  // Node URLs whose head was sampled (head_lag_blocks: every node a run sends to).
  let headNodes = [];
  function nodeValue(r, node, key, scale) {
    const l = Array.isArray(r.node_load) ? r.node_load.find((x) => x && x.node === node) : null;
    return l && typeof l[key] === 'number' ? l[key] / scale : null;
  }
  function nodeName(url) { return String(url).replace(/^[a-z]+:\/\//, ''); }
  const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const charts = {};

  function lat(r, kind, p) {
    const d = r.latency_us && r.latency_us[kind];
    return d && d.count > 0 && typeof d[p] === 'number' ? d[p] / 1000 : null;
  }
  const num = (v) => (typeof v === 'number' ? v : null);
  // Blocks seen during the run (GET /api/runs/ID/blocks): fill = packed size / the chain's
  // maximum_block_size, at the block's time in seconds since the run's start.
  let blocks = [];
  let nextBlock = 0;
  let runStartMs = null;
  function blockFill(b) {
    return typeof b.bytes === 'number' && b.max_block_size > 0 ? (100 * b.bytes) / b.max_block_size : null;
  }
  function runShare(b) {
    return typeof b.run_transactions === 'number' && b.transactions > 0 ? (100 * b.run_transactions) / b.transactions : null;
  }
  function blockSecond(b) {
    const t0 = runStartMs !== null ? runStartMs : (blocks.length ? blocks[0].time_ms : b.time_ms);
    return (b.time_ms - t0) / 1000;
  }

  const specs = {
    rates: {
      id: 'chart-rates', unit: 'tx/s',
      series: () => [['offered', (r) => num(r.offered)], ['sent', (r) => num(r.sent)],
        ['accepted', (r) => num(r.accepted)], ['included', (r) => num(r.included)]],
    },
    latency: {
      id: 'chart-latency', unit: 'ms',
      series: () => [
        ['inclusion p50', (r) => lat(r, 'inclusion_corrected', 'p50')],
        ['inclusion p90', (r) => lat(r, 'inclusion_corrected', 'p90')],
        ['inclusion p99', (r) => lat(r, 'inclusion_corrected', 'p99')],
        ['ack p50', (r) => lat(r, 'ack_corrected', 'p50')],
        ['ack p90', (r) => lat(r, 'ack_corrected', 'p90')],
        ['ack p99', (r) => lat(r, 'ack_corrected', 'p99')]],
    },
    errors: {
      id: 'chart-errors', unit: '/s',
      series: () => [
        ...reasons.map((k) => ['rejected ' + k, (r) => (r.rejected_by_reason && typeof r.rejected_by_reason[k] === 'number' ? r.rejected_by_reason[k] : 0)]),
        ...(reasons.length ? [['rejected beacon-side', (r) => num(r.rejected_by_side && r.rejected_by_side.beacon)],
          ['rejected network-side', (r) => num(r.rejected_by_side && r.rejected_by_side.network)]] : []),
        ['timeouts', (r) => num(r.timeouts)], ['disconnects', (r) => num(r.disconnects)]],
    },
    cpu: {
      id: 'chart-cpu', unit: '%',
      series: () => [['node', (r) => num(r.node_cpu_percent)], ['beacon', (r) => num(r.beacon_cpu_percent)],
        ['send thread', (r) => num(r.send_cpu_percent)]],
    },
    node_memory: {
      id: 'chart-node-memory', unit: 'MiB',
      series: () => nodes.map((n) => [nodeName(n), (r) => nodeValue(r, n, 'memory_bytes', 1048576)]),
    },
    node_head_lag: {
      id: 'chart-node-head-lag', unit: 'blocks',
      series: () => headNodes.map((n) => [nodeName(n), (r) => nodeValue(r, n, 'head_lag_blocks', 1)]),
    },
    node_io: {
      id: 'chart-node-io', unit: 'KiB/s',
      series: () => nodes.flatMap((n) => [['rx', 'net_rx_bytes_per_s'], ['tx', 'net_tx_bytes_per_s'],
        ['disk read', 'disk_read_bytes_per_s'], ['disk write', 'disk_write_bytes_per_s']]
        .map(([what, key]) => [nodeName(n) + ' ' + what, (r) => nodeValue(r, n, key, 1024)])),
    },
    blocks: {
      id: 'chart-blocks', unit: '%', source: () => blocks, x: blockSecond, xLabel: 'block time, seconds of the run',
      series: () => [['block fill', blockFill], ['run\'s share of its transactions', runShare]],
    },
  };

  function chartWidth(fig) { return Math.max(300, fig.clientWidth - 26); }

  function buildChart(key) {
    const spec = specs[key];
    const fig = $(spec.id);
    const holder = fig.querySelector('.plot');
    if (charts[key]) { charts[key].plot.destroy(); delete charts[key]; }
    holder.replaceChildren();
    const list = spec.series();
    const src = spec.source ? spec.source() : rows;
    const data = [src.map(spec.x || ((r) => r.second)), ...list.map(([, f]) => src.map(f))];
    const opts = {
      width: chartWidth(fig), height: 220,
      scales: { x: { time: false } },
      axes: [{ label: spec.xLabel || 'second of the run', incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200] },
        { label: spec.unit, size: 60 }],
      series: [{ label: 'second' }, ...list.map(([label], i) => ({
        label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false,
        value: (u, v) => (v === null || v === undefined ? '–' : fmt(v, 2)),
      }))],
    };
    charts[key] = { plot: new uPlot(opts, data, holder), data, list };
    markChart(key);
  }

  // data-points (how many seconds the chart holds) and data-last (the newest second's values by
  // series label) on each chart's figure: for tests and for anyone scripting the page.
  function markChart(key) {
    const c = charts[key];
    const fig = $(specs[key].id);
    const n = c.data[0].length;
    fig.dataset.points = String(n);
    const last = {};
    if (n) {
      last.second = c.data[0][n - 1];
      c.list.forEach(([label], i) => { last[label] = c.data[i + 1][n - 1]; });
    }
    fig.dataset.last = JSON.stringify(last);
  }

  function appendRows(fresh) {
    for (const r of fresh) {
      if (typeof r.second !== 'number') throw new Error('series row without a second: ' + JSON.stringify(r).slice(0, 120));
      rows.push(r);
      next = Math.max(next, r.second + 1);
    }
    let newReason = false;
    for (const r of fresh) {
      for (const k of Object.keys(r.rejected_by_reason || {})) {
        if (!reasons.includes(k)) { reasons.push(k); newReason = true; }
      }
    }
    reasons.sort();
    let newNode = false, newHeadNode = false;
    const HEAD_KEYS = ['head_block_num', 'head_lag_blocks', 'head_age_seconds', 'irreversible_lag_blocks'];
    for (const r of fresh) {
      for (const l of Array.isArray(r.node_load) ? r.node_load : []) {
        if (!l || typeof l.node !== 'string') continue;
        const load = Object.keys(l).some((k) => k !== 'node' && !HEAD_KEYS.includes(k) && typeof l[k] === 'number');
        if (load && !nodes.includes(l.node)) { nodes.push(l.node); newNode = true; }
        if (typeof l.head_lag_blocks === 'number' && !headNodes.includes(l.node)) { headNodes.push(l.node); newHeadNode = true; }
      }
    }
    nodes.sort();
    headNodes.sort();
    for (const key of Object.keys(specs)) {
      if (specs[key].source) continue;
      if (key === 'errors' && newReason) { buildChart(key); continue; }
      if ((key === 'node_memory' || key === 'node_io') && newNode) { buildChart(key); continue; }
      if (key === 'node_head_lag' && newHeadNode) { buildChart(key); continue; }
      const c = charts[key];
      if (!c) { buildChart(key); continue; }
      c.data[0].push(...fresh.map((r) => r.second));
      c.list.forEach(([, f], i) => c.data[i + 1].push(...fresh.map(f)));
      c.plot.setData(c.data);
      markChart(key);
    }
    updateNotes();
  }

  function appendBlocks(fresh) {
    for (const b of fresh) {
      if (typeof b.block_num !== 'number' || typeof b.time_ms !== 'number') throw new Error('block without block_num/time_ms: ' + JSON.stringify(b).slice(0, 120));
      blocks.push(b);
      nextBlock = Math.max(nextBlock, b.block_num + 1);
    }
    buildChart('blocks');
    updateNotes();
  }

  function updateNotes() {
    const hasFill = blocks.some((b) => blockFill(b) !== null);
    $('blocks-note').hidden = hasFill;
    $('chart-blocks').querySelector('.plot').hidden = !hasFill;
    $('chart-blocks').dataset.available = hasFill ? 'yes' : 'no';
    let note = $('cpu-note');
    if (!note) {
      note = el('p', '', 'note');
      note.id = 'cpu-note';
      $('chart-cpu').append(note);
    }
    const nodeMeasured = rows.some((r) => typeof r.node_cpu_percent === 'number');
    note.textContent = rows.length && !nodeMeasured
      ? 'Node CPU not measured in this run (set node_load in the scenario, docs/scenarios.md).' : '';
    note.hidden = !note.textContent;
    for (const id of ['chart-node-memory', 'chart-node-io']) {
      const fig = $(id);
      let n = fig.querySelector('.note');
      if (!n) {
        n = el('p', '', 'note');
        fig.append(n);
      }
      n.textContent = rows.length && !nodes.length
        ? 'Node memory, network and disk not measured in this run (node_load: node_exporter:URL per node in the scenario, docs/scenarios.md).' : '';
      n.hidden = !n.textContent;
      fig.dataset.available = nodes.length ? 'yes' : 'no';
    }
  }

  function resetSeries() {
    rows = [];
    next = 0;
    blocks = [];
    nextBlock = 0;
    runStartMs = null;
    finalFetched = false;
    endedPolls = 0;
    blockPolls = 0;
    reasons = [];
    nodes = [];
    headNodes = [];
    for (const key of Object.keys(specs)) buildChart(key);
    updateNotes();
  }

  window.addEventListener('resize', () => {
    for (const key of Object.keys(charts)) {
      const fig = $(specs[key].id);
      charts[key].plot.setSize({ width: chartWidth(fig), height: 220 });
    }
  });

  // ---- polling ------------------------------------------------------------------------------
  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const [beacons, runList] = await Promise.all([api('GET', '/api/beacons'), api('GET', '/api/runs')]);
      if (!Array.isArray(beacons)) throw new Error('GET /api/beacons: expected an array');
      if (!Array.isArray(runList)) throw new Error('GET /api/runs: expected an array');
      renderBeacons(beacons);
      runs = runList.slice().sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || String(b.id).localeCompare(String(a.id)));
      if (!selected && !userChoseNone && runs.length) {
        const live = runs.find((r) => r.status === 'running' || r.status === 'created');
        selectRun((live || runs[0]).id);
      }
      renderRunSelect();
      // An ended run cannot change: three polls after it ended (its last rows may be committed
      // just after the status changes) it is not re-read (each read loads it from the store).
      if (selected && !finalFetched) {
        const id = selected;
        const r = await api('GET', '/api/runs/' + encodeURIComponent(id));
        if (id !== selected) return;
        renderRun(r);
        const started = r.started_at ? Date.parse(r.started_at) : NaN;
        if (!Number.isNaN(started) && started !== runStartMs) {
          runStartMs = started;
          if (blocks.length) buildChart('blocks');
        }
        const live = r.status === 'running' || r.status === 'created';
        const fresh = await api('GET', '/api/runs/' + encodeURIComponent(id) + '/series?from=' + next);
        if (id !== selected) return;
        if (!Array.isArray(fresh)) throw new Error('series: expected an array');
        if (fresh.length) appendRows(fresh);
        // Blocks come every 3 s, and each read loads the run from the store (about 60 ms for a
        // one-hour run): every third poll while the run is live.
        if (!live || blockPolls++ % 3 === 0) {
          const newBlocks = await api('GET', '/api/runs/' + encodeURIComponent(id) + '/blocks?from=' + nextBlock);
          if (id !== selected) return;
          if (!Array.isArray(newBlocks)) throw new Error('blocks: expected an array');
          if (newBlocks.length) appendBlocks(newBlocks);
        }
        if (!live && ++endedPolls >= 3) finalFetched = true;
      }
      document.body.dataset.loaded = 'yes';
      if (statusFromPoll || $('status').dataset.kind === undefined) {
        status('Connected: ' + beacons.length + ' beacon' + (beacons.length === 1 ? '' : 's') + ', ' + runs.length + ' run' + (runs.length === 1 ? '' : 's') + '.', 'ok');
        statusFromPoll = true;
      }
    } catch (e) {
      statusFromPoll = true;
      status(e.message, 'error');
    } finally {
      polling = false;
    }
  }

  // ---- controls -----------------------------------------------------------------------------
  let presets = [];
  try {
    const parsed = JSON.parse($('presets').textContent);
    if (Array.isArray(parsed)) presets = parsed.filter((p) => typeof p === 'string');
  } catch (e) {
    presets = [];
  }
  for (const p of presets) {
    const o = el('option', 'preset: ' + p);
    o.value = p;
    $('preset').append(o);
  }
  const custom = el('option', 'custom scenario (YAML)…');
  custom.value = '';
  $('preset').append(custom);
  function toggleScenario() { $('scenario-text').hidden = $('preset').value !== ''; }
  $('preset').addEventListener('change', toggleScenario);
  toggleScenario();

  function needToken(what) {
    if (token()) return false;
    actionStatus(what + ': type the admin token first.', 'error');
    return true;
  }
  function needRun(what) {
    if (selected) return false;
    actionStatus(what + ': select a run first.', 'error');
    return true;
  }
  function positiveRate(input, what) {
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(v) || v <= 0) {
      actionStatus(what + ': expected a rate > 0 tx/s, got "' + input.value + '".', 'error');
      return null;
    }
    return v;
  }

  async function act(label, fn) {
    try {
      actionStatus(label + '…', '');
      await fn();
      await poll();
    } catch (e) {
      actionStatus(e.message, 'error');
    }
  }

  $('create-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (needToken('Create run')) return;
    const body = {};
    const preset = $('preset').value;
    if (preset) body.preset = preset;
    else {
      const text = $('scenario-text').value;
      if (!text.trim()) { actionStatus('Create run: paste a scenario (YAML) or choose a preset.', 'error'); return; }
      body.scenario = text;
    }
    const name = $('run-name').value.trim();
    if (name) body.name = name;
    if ($('create-rate').value.trim() !== '') {
      const r = positiveRate($('create-rate'), 'Create run');
      if (r === null) return;
      body.rate = r;
    }
    const d = $('create-duration').value.trim();
    if (d) body.duration = d;
    if (chosen.size) body.beacons = [...chosen].sort();
    act('Creating run', async () => {
      const r = await api('POST', '/api/runs', body);
      chosen.clear();
      userChoseNone = false;
      selectRun(r.id);
      actionStatus('Created run ' + r.id + ' with ' + (r.beacons || []).length + ' beacons; press Start.', 'ok');
    });
  });
  $('start').addEventListener('click', () => {
    if (needRun('Start') || needToken('Start')) return;
    const id = selected;
    act('Starting ' + id, async () => {
      const r = await api('POST', '/api/runs/' + encodeURIComponent(id) + '/start');
      actionStatus('Run ' + id + ' ' + r.status + ', starting at ' + r.start_at + '.', 'ok');
    });
  });
  $('stop').addEventListener('click', () => {
    if (needRun('Stop') || needToken('Stop')) return;
    const id = selected;
    act('Stopping ' + id, async () => {
      const r = await api('POST', '/api/runs/' + encodeURIComponent(id) + '/stop');
      actionStatus('Run ' + id + ': ' + r.status + '.', 'ok');
    });
  });
  $('set-rate').addEventListener('click', () => {
    if (needRun('Change rate') || needToken('Change rate')) return;
    const v = positiveRate($('rate'), 'Change rate');
    if (v === null) return;
    const id = selected;
    act('Changing rate of ' + id, async () => {
      const r = await api('POST', '/api/runs/' + encodeURIComponent(id) + '/rate', { rate: v });
      actionStatus('Run ' + id + ': rate ' + fmt(r.rate, 2) + ' tx/s (' + fmt(r.per_beacon, 2) + ' per beacon).', 'ok');
    });
  });

  // ---- start --------------------------------------------------------------------------------
  if (typeof uPlot !== 'function') {
    status('uPlot did not load (/assets/uplot.js): charts are unavailable.', 'error');
    return;
  }
  showTokenState();
  resetSeries();
  poll();
  setInterval(poll, POLL_MS);
})();
