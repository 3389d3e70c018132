// Times the dashboard against a running roost: how long one refresh (every request of the page,
// run together, and the drawing) takes for each time range, in Debian's headless chromium.
// Usage: node bench/dashboard_bench.mjs http://127.0.0.1:6006 [API_KEY] [REPEATS]
// Needs `npm ci` in tests/interop (playwright-core) and /usr/bin/chromium.
const { chromium } = await import(
  new URL('../tests/interop/node_modules/playwright-core/index.mjs', import.meta.url));

const [base, apiKey = '', repeats = '5'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  if (apiKey) {
    await page.addInitScript((k) => sessionStorage.setItem('roost.apiKey', k), apiKey);
  }
  const t0 = performance.now();
  await page.goto(base + '/');
  await page.waitForFunction(() => window.roostDashboard?.refreshCount > 0 &&
    !window.roostDashboard.busy, null, { timeout: 120_000 });
  console.log(`first load (24h) ${(performance.now() - t0).toFixed(0)} ms`);
  await page.uncheck('#auto-refresh');
  for (const range of ['15m', '1h', '24h', '7d', 'all']) {
    const times = [];
    for (let i = 0; i < Number(repeats); ++i) {
      times.push(await page.evaluate(async (r) => {
        const d = window.roostDashboard;
        if (r === 'all') {
          d.state.range = 'custom';
          d.state.from = 0;
          d.state.to = Date.now();
        } else {
          d.state.range = r;
        }
        const start = performance.now();
        await d.refresh();
        if (d.lastError) throw new Error(d.lastError);
        return performance.now() - start;
      }, range));
    }
    console.log(`refresh ${range.padEnd(4)} median ${median(times).toFixed(0)} ms ` +
      `(${times.map((t) => t.toFixed(0)).join(', ')})`);
  }
} finally {
  await browser.close();
}
