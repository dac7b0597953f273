// Canary for every page test: the vendored uPlot renders a chart in Debian's chromium, offline.
'use strict';
const fs = require('fs');
const path = require('path');
const { withPage, run } = require('./lib');

run(async () => {
  const dir = path.join(__dirname, '../../third_party/uplot');
  const js = fs.readFileSync(path.join(dir, 'uPlot.iife.min.js'), 'utf8');
  const css = fs.readFileSync(path.join(dir, 'uPlot.min.css'), 'utf8');
  const html = `<!doctype html><html><head><style>${css}</style></head><body><div id="c"></div>
<script>${js}</script><script>
new uPlot({ width: 400, height: 200, series: [{}, { label: 'tx/s', stroke: 'red' }] },
          [[1, 2, 3], [10, 20, 15]], document.getElementById('c'));
</script></body></html>`;
  await withPage(async (page) => {
    await page.setContent(html);
    const canvases = await page.locator('#c canvas').count();
    if (canvases !== 1) throw new Error(`expected one chart canvas, found ${canvases}`);
    const legend = await page.locator('#c .u-legend').innerText();
    if (!legend.includes('tx/s')) throw new Error(`legend lacks the series label: ${legend}`);
  }, { offline: true });
  console.log('uplot smoke: chart rendered offline');
});
