// Shared helpers for bts-infra's browser tests: Debian's chromium, headless, via playwright-core.
//   const { withPage } = require('./lib');           // from tests/browser/*.js
//   await withPage(async (page, errors) => { await page.goto(url); ... });
// `errors` collects console errors, page errors and failed requests; withPage fails the test if
// any remain at the end (pass { allowErrors: true } to inspect them yourself).
// Set BTS_BROWSER_ARTIFACTS=DIR to keep screenshots (the default is the build directory).
'use strict';
const path = require('path');
const fs = require('fs');

function playwright() {
  // Installed by scripts/prepare-oracle.sh into BUILD/browser/node_modules.
  const dir = process.env.BTS_BROWSER_MODULES;
  return require(dir ? path.join(dir, 'playwright-core') : 'playwright-core');
}

const CHROMIUM = process.env.BTS_CHROMIUM || '/usr/bin/chromium';

async function withPage(fn, { allowErrors = false, offline = false, timeoutMs = 60000 } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  const browser = await playwright().chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const timer = setTimeout(() => {
    console.error(`browser test exceeded ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs);
  try {
    const context = await browser.newContext({ offline, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    await fn(page, errors);
    if (!allowErrors && errors.length) throw new Error(`page reported errors:\n  ${errors.join('\n  ')}`);
  } finally {
    clearTimeout(timer);
    await browser.close();
  }
}

function artifactPath(name) {
  const dir = process.env.BTS_BROWSER_ARTIFACTS || process.cwd();
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

// Runs main() and exits non-zero with the error's message on failure.
function run(main) {
  main().then(() => process.exit(0), (e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
}

module.exports = { withPage, artifactPath, run, CHROMIUM };
