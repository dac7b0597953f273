// bts-infra report page: draws every <figure class="plot"> from the report model embedded in
// <script id="report-data"> (report.json), with the inlined uPlot. No network access.
'use strict';
(function () {
  const model = JSON.parse(document.getElementById('report-data').textContent);
  const palette = ['#2457b5', '#e07b1a', '#2e9d57', '#d03b3b', '#7b4bb7', '#1a9bb0', '#a0692c', '#c2418f', '#5b6b7f', '#8fa11c'];
  const ms = (a) => a.map((v) => (v == null ? null : v / 1000));

  function yRange(u, min, max) {
    if (min == null || max == null || !isFinite(min) || !isFinite(max)) return [0, 1];
    const lo = Math.min(0, min);
    const hi = max > lo ? max * 1.05 : lo + 1;
    return [lo, hi];
  }
  function xRange(u, min, max) {
    if (min == null || max == null) return [0, 1];
    return min === max ? [min - 1, max + 1] : [min, max];
  }
  // Spectrum x: log10(1/(1-p)) on a linear scale (0 = 0%, 1 = 90%, 2 = 99%, 3 = 99.9%...),
  // labelled as the percentile. The 100% point (the maximum) is left out: it has no finite x.
  const specX = (p) => Math.log10(1 / (1 - p / 100));
  function pctLabel(x) {
    if (Math.abs(x - Math.log10(2)) < 1e-9) return '50%';
    const n = Math.round(x);
    if (Math.abs(x - n) > 1e-9) return '';
    if (n === 0) return '0%';
    return (100 - Math.pow(10, 2 - n)).toFixed(Math.max(0, n - 2)) + '%';
  }
  function specSplits(u, axis, min, max) {
    const out = [0, Math.log10(2)];
    for (let n = 1; n <= Math.ceil(max); n++) out.push(n);
    return out.filter((v) => v >= min - 1e-9 && v <= max + 1e-9);
  }

  function draw(fig, spec) {
    const area = fig.querySelector('.plot-area');
    const few = spec.data[0].length <= 2;
    const series = [{ label: spec.xLabel }].concat(spec.series.map((s, i) => ({
      label: s.label,
      stroke: s.color || palette[i % palette.length],
      width: 1.6,
      dash: s.dash,
      scale: s.scale || 'y',
      spanGaps: false,
      points: { show: few || !!spec.points },
    })));
    const axes = [
      spec.log ? { label: spec.xLabel, values: (u, vals) => vals.map(pctLabel), splits: specSplits } : { label: spec.xLabel },
      { label: spec.yLabel, size: 70 },
    ];
    const scales = { x: spec.log ? { time: false, range: (u, min, max) => [0, Math.max(1, Math.ceil(max || 0))] } : { time: false, range: xRange }, y: { range: yRange } };
    if (spec.y2Label) {
      axes.push({ label: spec.y2Label, scale: 'y2', side: 1, size: 60, grid: { show: false } });
      scales.y2 = { range: spec.y2Range || yRange };
    }
    const width = Math.max(320, area.clientWidth || 900);
    const u = new uPlot({ width, height: 300, series, axes, scales, legend: { show: true }, cursor: { drag: { x: true, y: false } } },
                        spec.data, area);
    // Axis titles are drawn on the canvas; keep them readable for tests and tools too.
    fig.dataset.axes = [spec.xLabel, spec.yLabel, spec.y2Label].filter(Boolean).join(' | ');
    // How many non-null values the plot received (tests check that a plot got data).
    fig.dataset.points = String(spec.data.slice(1).reduce((n, a) => n + a.filter((v) => v != null).length, 0));
    fig.dataset.rendered = '1';
    window.addEventListener('resize', () => u.setSize({ width: Math.max(320, area.clientWidth), height: 300 }));
  }

  const perRun = {
    throughput_tx(run) {
      const s = run.series;
      return { xLabel: 'seconds since start', yLabel: 'tx/s', data: [s.second, s.offered, s.sent, s.accepted, s.included],
               series: [{ label: 'offered' }, { label: 'sent' }, { label: 'accepted' }, { label: 'included' }] };
    },
    throughput_ops(run) {
      const s = run.series;
      return { xLabel: 'seconds since start', yLabel: 'operations/s', data: [s.second, s.ops_sent, s.ops_included],
               series: [{ label: 'ops sent' }, { label: 'ops included' }] };
    },
    inclusion_latency(run) {
      const s = run.series, c = s.latency_us.inclusion_corrected, u = s.latency_us.inclusion_uncorrected;
      const names = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p999', 'p99.9']];
      const data = [s.second], series = [];
      names.forEach(([k, label], i) => {
        data.push(ms(c[k])); series.push({ label: `${label} corrected`, color: palette[i] });
      });
      names.forEach(([k, label], i) => {
        data.push(ms(u[k])); series.push({ label: `${label} uncorrected`, color: palette[i], dash: [5, 4] });
      });
      return { xLabel: 'seconds since start', yLabel: 'latency (ms)', data, series };
    },
    errors(run) {
      const s = run.series, keys = Object.keys(s.errors);
      if (!keys.length) return { xLabel: 'seconds since start', yLabel: 'errors/s', data: [s.second, s.rejected], series: [{ label: 'rejected (none)' }] };
      return { xLabel: 'seconds since start', yLabel: 'errors/s', data: [s.second].concat(keys.map((k) => s.errors[k])),
               series: keys.map((k) => ({ label: k })) };
    },
    cpu(run) {
      const s = run.series;
      const lab = (name, a) => (a.every((v) => v == null) ? `${name} (not measured)` : name);
      return { xLabel: 'seconds since start', yLabel: '% of one core',
               data: [s.second, s.node_cpu_percent, s.beacon_cpu_percent, s.send_cpu_percent],
               series: [{ label: lab('node', s.node_cpu_percent) }, { label: lab('beacon process', s.beacon_cpu_percent) },
                        { label: lab('send thread', s.send_cpu_percent) }] };
    },
    schedule_lag(run) {
      const s = run.series, l = s.latency_us.schedule_lag;
      return { xLabel: 'seconds since start', yLabel: 'lag (ms)', data: [s.second, ms(l.p50), ms(l.p99), ms(l.max)],
               series: [{ label: 'p50' }, { label: 'p99' }, { label: 'max' }] };
    },
    in_flight(run) {
      const s = run.series;
      return { xLabel: 'seconds since start', yLabel: 'transactions', data: [s.second, s.in_flight], series: [{ label: 'in flight' }] };
    },
    blocks_tx(run) {
      const b = run.blocks.series;
      return { xLabel: 'block time, seconds since start', yLabel: 'transactions per block', points: true,
               data: [b.at_second, b.transactions, b.run_transactions],
               series: [{ label: 'all transactions' }, { label: "the run's transactions" }] };
    },
    blocks_fill(run) {
      const b = run.blocks.series;
      return { xLabel: 'block time, seconds since start', yLabel: 'block size (KB)', y2Label: '% of maximum_block_size', points: true,
               y2Range: (u, min, max) => [0, Math.max(100, max || 0)],
               data: [b.at_second, b.bytes.map((v) => v / 1000), b.fill_percent],
               series: [{ label: 'size (KB)' }, { label: 'fill %', scale: 'y2', dash: [5, 4] }] };
    },
    node_cpu(run) {
      return nodeLoad(run, [['cpu_percent', '']], null, '% of one core');
    },
    node_memory(run) {
      return nodeLoad(run, [['memory_bytes', '']], 'memory used', '');
    },
    node_network(run) {
      return nodeLoad(run, [['net_rx_bytes_per_s', 'rx'], ['net_tx_bytes_per_s', 'tx']], 'network', '/s');
    },
    node_head_lag(run) {
      return nodeLoad(run, [['head_lag_blocks', '']], null, 'blocks behind');
    },
    node_disk(run) {
      return nodeLoad(run, [['disk_read_bytes_per_s', 'read'], ['disk_write_bytes_per_s', 'write']], 'disk', '/s');
    },
    // One spectrum per node (and beacon) of the latency behind the first node that had a block.
    propagation(run) {
      const lines = [];
      const list = (run.p2p_limit && run.p2p_limit.propagation) || [];
      for (const b of list) {
        for (const n of b.nodes) lines.push([list.length > 1 ? `${b.beacon} ${n.url}` : n.url, n.vs_first_node_spectrum || []]);
      }
      const data = joinSpectra(lines.map(([, points]) => points));
      return fillGaps({ xLabel: 'percentile', yLabel: 'behind the first node (ms)', log: true, data,
                        series: lines.map(([label]) => ({ label })) });
    },
    spectrum_ack(run) { return spectrum([[run, 'ack_corrected', 'corrected'], [run, 'ack_uncorrected', 'uncorrected']]); },
    spectrum_inclusion(run) {
      return spectrum([[run, 'inclusion_corrected', 'corrected'], [run, 'inclusion_uncorrected', 'uncorrected']]);
    },
  };

  // One line per node and member (the second member dashed, in the node's colour). Bytes are
  // shown in the binary unit that suits the largest value; `yLabel` is used as is for CPU.
  function nodeLoad(run, members, what, perSecond) {
    const s = run.series, nodes = Object.keys(s.node_load || {});
    let div = 1, unit = '';
    if (what) {
      let max = 0;
      for (const n of nodes) for (const [k] of members) for (const v of s.node_load[n][k]) if (v != null && v > max) max = v;
      const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let i = 0;
      while (i + 1 < units.length && max >= 1024 * Math.pow(1024, i)) i++;
      div = Math.pow(1024, i); unit = units[i] + perSecond;
    }
    const data = [s.second], series = [];
    nodes.forEach((n, ni) => members.forEach(([k, label], mi) => {
      const a = s.node_load[n][k];
      data.push(a.map((v) => (v == null ? null : v / div)));
      const name = label ? `${n} ${label}` : n;
      series.push({ label: a.every((v) => v == null) ? `${name} (not measured)` : name,
                    color: palette[ni % palette.length], dash: mi ? [5, 4] : undefined });
    }));
    // A value between two gaps draws no line: show points then, or it would be invisible.
    const isolated = data.slice(1).some((a) => a.some((v, i) => v != null && a[i - 1] == null && a[i + 1] == null));
    return { xLabel: 'seconds since start', yLabel: what ? `${what} (${unit})` : perSecond, data, series, points: isolated };
  }

  // Spectra ([[percentile, µs], ...] each) joined on a shared x (specX of the percentiles below
  // 100), in ms: [x, ys of the first, ys of the second, ...], null where one has no point.
  function joinSpectra(spectra) {
    const xs = new Set();
    const maps = spectra.map((points) => {
      const m = new Map();
      for (const [p, v] of points) {
        if (p >= 100) continue;
        const x = specX(p); xs.add(x); m.set(x, v / 1000);
      }
      return m;
    });
    const x = Array.from(xs).sort((a, b) => a - b);
    if (!x.length) x.push(0, 1);
    return [x].concat(maps.map((m) => x.map((v) => (m.has(v) ? m.get(v) : null))));
  }
  // Several spectra on one plot: each has its own percentiles, so they are joined on a shared x.
  function spectrum(list) {
    const data = joinSpectra(list.map(([run, kind]) => run.latency_distribution.kinds[kind].spectrum));
    return { xLabel: 'percentile', yLabel: 'latency (ms)', log: true,
             data, series: list.map(([run, , label]) => ({ label: model.runs.length > 1 ? `${run.id} ${label}` : label })) };
  }
  // spanGaps is off, so join the spectra with gaps filled (they are step-like curves).
  function fillGaps(spec) {
    for (let i = 1; i < spec.data.length; i++) {
      let last = null;
      spec.data[i] = spec.data[i].map((v) => (v == null ? last : (last = v)));
    }
    return spec;
  }

  const comparison = {
    cmp_included() {
      return overlay((r) => r.series.included, 'included tx/s');
    },
    cmp_inclusion_p99() {
      return overlay((r) => ms(r.series.latency_us.inclusion_corrected.p99), 'inclusion p99 (ms)');
    },
    cmp_spectrum_inclusion() {
      return fillGaps(spectrum(model.runs.map((r) => [r, 'inclusion_corrected', 'corrected'])));
    },
  };
  function overlay(get, yLabel) {
    const xs = new Set();
    model.runs.forEach((r) => r.series.second.forEach((s) => xs.add(s)));
    const x = Array.from(xs).sort((a, b) => a - b);
    const data = [x].concat(model.runs.map((r) => {
      const m = new Map(); const v = get(r);
      r.series.second.forEach((s, i) => m.set(s, v[i]));
      return x.map((s) => (m.has(s) ? m.get(s) : null));
    }));
    return { xLabel: 'seconds since start', yLabel, data, series: model.runs.map((r) => ({ label: r.id })) };
  }

  for (const fig of document.querySelectorAll('figure.plot')) {
    const kind = fig.dataset.kind;
    const runIndex = Number(fig.dataset.run);
    let spec;
    if (runIndex < 0) spec = comparison[kind]();
    else {
      spec = perRun[kind](model.runs[runIndex]);
      if (kind.startsWith('spectrum')) fillGaps(spec);
    }
    draw(fig, spec);
  }
})();
