// Drives roost's dashboard in Debian's headless chromium with playwright-core, for
// tests/api/dashboard_browser_test.cc, which checks what this prints against roost's JSON routes.
// Usage: node dashboard.mjs BASE_URL API_KEY FROM_ISO TO_ISO SCREENSHOT_PNG (times on whole minutes)
// Prints one JSON object: what the page drew and everything that went wrong on the way.
import { chromium } from 'playwright-core';

const [base, apiKey, fromIso, toIso, screenshot] = process.argv.slice(2);
const STEP_MS = 60_000;  // bound on every wait for the page
const out = { console_errors: [], page_errors: [], failed_requests: [], foreign_requests: [] };

function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error') out.console_errors.push(m.text()); });
  page.on('pageerror', (e) => out.page_errors.push(String(e)));
  page.on('requestfailed', (r) => out.failed_requests.push(`${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(base + '/') && !url.startsWith('data:')) out.foreign_requests.push(url);
  });
}

// Waits until the dashboard finished a refresh after `count` and is idle.
async function settled(page, count) {
  await page.waitForFunction(
    (n) => window.roostDashboard && window.roostDashboard.refreshCount > n &&
      !window.roostDashboard.busy,
    count, { timeout: STEP_MS });
}

// What a uPlot chart holds: series labels and data arrays (x first).
function chartsOf(page) {
  return page.evaluate(() => {
    const grab = (u) => u && { labels: u.series.slice(1).map((s) => s.label), data: u.data,
      categories: u.categories || null };
    const c = window.roostDashboard.charts;
    return Object.fromEntries(Object.keys(c).map((k) => [k, grab(c[k])]));
  });
}

// POSTs `n` spans of one new trace as OTLP/JSON; the HTTP status.
async function postSpans(n) {
  const hex = (len) => Array.from({ length: len }, () => Math.floor(Math.random() * 16).toString(16))
    .join('');
  const traceId = hex(32);
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId, spanId: hex(16), name: 'dashboard-test', kind: 1,
    startTimeUnixNano: String(now + BigInt(i)), endTimeUnixNano: String(now + BigInt(i) + 1000n),
  }));
  const body = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] };
  const r = await fetch(base + '/v1/traces', { method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + apiKey } });
  return r.status;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  watch(page);
  await page.goto(base + '/', { timeout: STEP_MS });

  // The server has a key: the page asks for it once.
  await page.waitForSelector('#key-dialog[open]', { timeout: STEP_MS });
  await page.fill('#key-input', apiKey);
  await page.click('#key-form button[type=submit]');
  await settled(page, 0);

  // A custom range over the generated data.
  let count = await page.evaluate(() => window.roostDashboard.refreshCount);
  await page.click('#ranges button[data-range=custom]');
  await page.fill('#custom-from', fromIso.slice(0, 16));
  await page.fill('#custom-to', toIso.slice(0, 16));
  await page.click('#custom-range button[type=submit]');
  await settled(page, count);
  out.state = await page.evaluate(() => ({ ...window.roostDashboard.state }));
  out.last_error = await page.evaluate(() => window.roostDashboard.lastError);
  out.charts = await chartsOf(page);
  out.latency_table_rows = await page.locator('#latency-table tbody tr').count();
  out.replication_badge = await page.textContent('#replication');
  out.ingest_rate = await page.textContent('#ingest-rate');

  // Drill into the first session listed.
  const row = page.locator('#sessions-table tbody tr').first();
  out.session_rows = await page.locator('#sessions-table tbody tr').count();
  out.session_id = await row.getAttribute('data-session');
  await row.click();
  await page.waitForSelector('#session-detail:not([hidden])', { timeout: STEP_MS });
  out.waterfall_rows = await page.locator('#waterfall .waterfall-row').count();
  out.waterfall_traces = await page.locator('#waterfall .trace').count();
  await page.screenshot({ path: screenshot, fullPage: true });

  // Spans arriving between two refreshes show as an ingest rate.
  const posted = await postSpans(200);
  if (posted !== 200) throw new Error(`POST /v1/traces answered ${posted}`);
  await page.evaluate(() => window.roostDashboard.refresh());
  out.ingest_rate_after_post = await page.textContent('#ingest-rate');
  // The server replicates with a key Phoenix refuses: the badge turns to "auth failed".
  for (let i = 0; i < 150; ++i) {
    if (await page.evaluate(() => document.getElementById('replication')
      .classList.contains('auth_failed'))) break;
    await page.waitForTimeout(200);
    await page.evaluate(() => window.roostDashboard.refresh());
  }
  out.replication_badge_after_post = await page.textContent('#replication');
  out.replication_class_after_post = await page.getAttribute('#replication', 'class');

  // A reload keeps the key for this browser session: no second prompt.
  count = 0;
  await page.reload({ timeout: STEP_MS });
  await settled(page, count);
  out.asked_again_after_reload = await page.evaluate(
    () => document.getElementById('key-dialog').open);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
