// bts-infra uptime status page: renders /api/v1/status and per-endpoint response-time charts
// (uPlot, from /assets/uplot.js). Refreshes every 15 s. No external requests.
'use strict';
(function () {
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  const charts = new Map();

  function dur(ms) {
    if (ms === null || ms === undefined) return '–';
    const a = Math.abs(ms);
    if (a < 1000) return ms.toFixed(0) + ' ms';
    if (a < 60000) return (ms / 1000).toFixed(1) + ' s';
    if (a < 3600000) return (ms / 60000).toFixed(0) + ' min';
    if (a < 172800000) return (ms / 3600000).toFixed(0) + ' h';
    return (ms / 86400000).toFixed(0) + ' d';
  }
  const pct = (v) => (v === null || v === undefined) ? '–' : v.toFixed(2) + '%';
  const stateClass = (s) => s.replace(/ /g, '-');

  function summary(data) {
    const s = data.summary, box = $('#summary');
    const bad = s.down + s.wrong_network, warn = s.degraded;
    box.className = 'summary ' + (bad ? 'bad' : warn ? 'warn' : s.up ? 'ok' : '');
    if (!bad && !warn && s.up) box.textContent = `All ${s.up} endpoints up`;
    else if (!s.up && !bad && !warn) box.textContent = 'Waiting for the first probes…';
    else box.textContent = `${s.up} up · ${s.degraded} degraded · ${s.wrong_network} wrong network · ${s.down} down`;
  }

  function endpointRow(ep) {
    const row = el('div', 'endpoint'); row.dataset.key = ep.key; row.dataset.state = ep.state;
    const left = el('div');
    left.append(el('div', 'name', ep.name), el('span', 'state ' + stateClass(ep.state), ep.state), el('div', 'url', ep.url));
    const mid = el('div', 'facts');
    const up = el('div', 'uptime');
    up.innerHTML = '';
    for (const w of ['24h', '7d', '30d']) { const s = el('span'); s.append(`uptime ${w} `, el('b', null, pct(ep.uptime[w]))); up.append(s); }
    mid.append(up);
    const f = el('div');
    const add = (label, value) => { if (value !== null && value !== undefined) f.append(el('span', null, `${label} ${value}`)); };
    add('response', ep.response_ms != null ? dur(ep.response_ms) : null);
    if (ep.phases) {
      const p = ep.phases, parts = [];
      for (const [k, n] of [['dns_ms', 'dns'], ['tcp_ms', 'tcp'], ['tls_ms', 'tls'], ['ws_upgrade_ms', 'ws'], ['first_call_ms', 'call']]) if (p[k] != null) parts.push(`${n} ${dur(p[k])}`);
      if (parts.length) add('phases', parts.join(' · '));
    }
    add('head', ep.head_block_num);
    add('age', ep.head_block_age_ms != null ? dur(ep.head_block_age_ms) : null);
    add('lag', ep.head_block_lag != null ? ep.head_block_lag + ' blocks' : null);
    add('participation', ep.participation != null ? ep.participation.toFixed(0) + '%' : null);
    if (ep.es) add('ES lag', ep.es.lag != null ? `${ep.es.lag} blocks (newest ${ep.es.newest_block})` : (ep.es.lag_unknown || null));
    add('APIs', ep.api_sets ? ep.api_sets.join(', ') : null);
    if (ep.certificate) add('certificate', 'expires in ' + dur(ep.certificate.expires_in_ms));
    if (ep.chain_id) add('chain', ep.chain_id.slice(0, 12) + '…');
    mid.append(f);
    if (ep.failed && ep.failed.length) {
      const ul = el('ul', 'failed');
      for (const x of ep.failed) ul.append(el('li', null, x));
      mid.append(ul);
    }
    const chart = el('div', 'chart'); chart.id = 'chart-' + ep.key;
    row.append(left, mid, chart);
    return row;
  }

  async function drawChart(key) {
    const res = await fetch(`/api/v1/endpoints/${encodeURIComponent(key)}/history?window=24h`);
    if (!res.ok) return;
    const h = await res.json();
    const box = document.getElementById('chart-' + key);
    if (!box) return;
    const xs = [], ys = [];
    for (const [ts, ms] of h.points) { xs.push(ts / 1000); ys.push(ms); }
    const old = charts.get(key);
    if (old) old.destroy();
    box.textContent = '';
    if (!xs.length) { box.textContent = 'no history yet'; return; }
    const u = new uPlot({
      width: 400, height: 120, legend: { show: false },
      series: [{}, { label: 'response ms', stroke: '#2f6fba', width: 1.5, fill: 'rgba(47,111,186,0.12)', spanGaps: false }],
      axes: [{ size: 28 }, { size: 44 }],
    }, [xs, ys], box);
    charts.set(key, u);
  }

  function certificates(data) {
    const t = $('#certificates'); t.textContent = '';
    const head = el('tr');
    for (const h of ['host', 'expires in', 'issuer', 'names', 'verified']) head.append(el('th', null, h));
    t.append(head);
    if (!data.certificates.length) { const r = el('tr'); const c = el('td', null, 'no TLS endpoints'); c.colSpan = 5; r.append(c); t.append(r); return; }
    for (const c of data.certificates) {
      const r = el('tr');
      const exp = el('td', c.expires_in_ms < 14 * 86400000 ? 'expiring' : null, dur(c.expires_in_ms));
      r.append(el('td', null, c.host), exp, el('td', null, c.issuer), el('td', null, c.sans), el('td', null, c.verified ? 'yes' : ('no: ' + c.verify_error)));
      t.append(r);
    }
  }

  function incidents(data) {
    const ul = $('#incidents'); ul.textContent = '';
    if (!data.incidents.length) { ul.append(el('li', null, 'No incidents recorded.')); return; }
    for (const i of data.incidents) {
      const start = new Date(i.started_ms).toISOString().replace('T', ' ').slice(0, 19);
      const end = i.ended_ms ? 'resolved after ' + dur(i.ended_ms - i.started_ms) : 'ongoing';
      ul.append(el('li', null, `${start} UTC · ${i.group}/${i.name} ${i.state}: ${i.reason} (${end})`));
    }
  }

  async function refresh() {
    const res = await fetch('/api/v1/status');
    const data = await res.json();
    summary(data);
    const groups = $('#groups'); groups.textContent = '';
    for (const g of data.groups) {
      const box = el('div', 'group'); box.dataset.group = g.name;
      box.append(el('h2', null, g.name));
      for (const ep of g.endpoints) box.append(endpointRow(ep));
      groups.append(box);
    }
    charts.clear();
    certificates(data);
    incidents(data);
    await Promise.all(data.groups.flatMap((g) => g.endpoints.map((ep) => drawChart(ep.key))));
    document.body.dataset.loaded = String(Date.now());
  }

  refresh();
  setInterval(refresh, 15000);
})();
