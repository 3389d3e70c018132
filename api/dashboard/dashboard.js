// roost's dashboard: plain JavaScript over roost's own JSON routes, charts by uPlot. Served from
// the roost binary; it requests nothing but this server. window.roostDashboard exposes the
// charts and the state they were drawn from (tests/interop/dashboard.mjs reads it).
'use strict';
(() => {
  const KEY_STORAGE = 'roost.apiKey';
  const REFRESH_MS = 15000;
  const RANGES = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
  // Bucket steps, smallest first: a range gets the smallest one giving at most MAX_BUCKETS buckets.
  const STEPS = [['30s', 30e3], ['1m', 60e3], ['5m', 300e3], ['15m', 900e3], ['1h', 3600e3],
    ['6h', 21600e3], ['1d', 86400e3], ['7d', 7 * 86400e3]];
  const MAX_BUCKETS = 200;
  const QUANTILES = ['0.5', '0.9', '0.99'];
  const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04',
    '#db2777', '#4b5563', '#65a30d'];
  const NO_KEY = '(none)';

  const $ = (id) => document.getElementById(id);
  const state = { project: '', kind: 'LLM', range: '24h', from: 0, to: 0, step: '15m' };
  const dash = { state, charts: {}, refreshCount: 0, busy: false, lastError: null, session: null };
  window.roostDashboard = dash;

  // ---- HTTP -------------------------------------------------------------------------------
  let keyPrompt = null;  // the pending "ask for the key" promise, shared by concurrent callers

  function askForKey() {
    if (!keyPrompt) {
      keyPrompt = new Promise((resolve) => {
        const dialog = $('key-dialog');
        $('key-form').onsubmit = () => {
          sessionStorage.setItem(KEY_STORAGE, $('key-input').value);
          keyPrompt = null;
          resolve();
        };
        dialog.showModal();
        $('key-input').focus();
      });
    }
    return keyPrompt;
  }

  async function api(path, params = {}, attempt = 0) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params)) {
      if (v !== '' && v != null) url.searchParams.set(k, v);
    }
    const headers = {};
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) headers.Authorization = 'Bearer ' + key;
    const r = await fetch(url, { headers });
    if (r.status === 401 && attempt < 3) {
      sessionStorage.removeItem(KEY_STORAGE);
      await askForKey();
      return api(path, params, attempt + 1);
    }
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new Error(`${url.pathname}: ${body.error || 'HTTP ' + r.status}`);
    }
    return path === '/metrics' ? r.text() : r.json();
  }

  // ---- formatting ---------------------------------------------------------------------------
  const fmtMs = (v) => (v == null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const fmtInt = (v) => (v == null ? '–' : Math.round(v).toLocaleString('en-US'));
  const fmtUsd = (v) => (v == null ? '–' : v >= 100 ? v.toFixed(2) : v.toPrecision(4));
  const fmtTime = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+/, '').replace('Z', '') : '–');
  const keyLabel = (k) => (k == null ? NO_KEY : k);
  // Axis ticks: 1.2k, 3.4M.
  const fmtAxis = (u, vals) => vals.map((v) => (Math.abs(v) >= 1e6 ? `${+(v / 1e6).toFixed(1)}M`
    : Math.abs(v) >= 1e4 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(4)}`));
  const toSeconds = (iso) => Date.parse(iso) / 1000;
  const utcDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  // ---- time range -------------------------------------------------------------------------
  function pickStep(spanMs) {
    for (const [name, ms] of STEPS) if (spanMs / ms <= MAX_BUCKETS) return name;
    return STEPS[STEPS.length - 1][0];
  }

  function computeRange() {
    if (state.range !== 'custom') {
      state.to = Date.now();
      state.from = state.to - RANGES[state.range];
    }
    state.step = pickStep(state.to - state.from);
  }

  const toInput = (ms) => new Date(ms).toISOString().slice(0, 19);

  function selectRange(range) {
    for (const b of document.querySelectorAll('#ranges button')) {
      b.classList.toggle('active', b.dataset.range === range);
    }
    $('custom-range').hidden = range !== 'custom';
    if (range === 'custom') {
      $('custom-from').value = toInput(state.from);
      $('custom-to').value = toInput(state.to);
      state.range = 'custom';
      return;  // refreshed on "apply"
    }
    state.range = range;
    refresh();
  }

  function applyCustom(event) {
    event.preventDefault();
    const from = Date.parse($('custom-from').value + 'Z');
    const to = Date.parse($('custom-to').value + 'Z');
    if (!(from < to)) {
      showError('custom range: "from" must be before "to"');
      return;
    }
    state.from = from;
    state.to = to;
    refresh();
  }

  // ---- charts -----------------------------------------------------------------------------
  function chartWidth(el) {
    return Math.max(300, el.clientWidth || 360);
  }

  function replaceChart(name, el, opts, data) {
    if (dash.charts[name]) dash.charts[name].destroy();
    el.querySelector('.empty')?.remove();
    if (data[0].length === 0) {
      delete dash.charts[name];
      const p = document.createElement('p');
      p.className = 'empty muted';
      p.textContent = 'no spans in this range';
      el.appendChild(p);
      return;
    }
    dash.charts[name] = new uPlot({ width: chartWidth(el), height: 240, ...opts }, data, el);
  }

  // Lines over time, one series per group; x is the union of the groups' bucket starts.
  function timeChart(name, el, groups, valueOf, unit) {
    const xs = [...new Set(groups.flatMap((g) => g.buckets.map((b) => toSeconds(b.start))))];
    xs.sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const data = [xs];
    const series = [{}];
    groups.forEach((g, i) => {
      const ys = new Array(xs.length).fill(null);
      for (const b of g.buckets) ys[index.get(toSeconds(b.start))] = valueOf(b);
      data.push(ys);
      series.push({ label: keyLabel(g.key), stroke: COLORS[i % COLORS.length], width: 1.5,
        value: (u, v) => (v == null ? '–' : fmtMs(v) + unit) });
    });
    replaceChart(name, el, { series, tzDate: utcDate,
      axes: [{}, { size: 60, label: unit.trim(), values: fmtAxis }] }, data);
  }

  // Bars by category (model); `defs` are [{label, values, color}].
  function barChart(name, el, categories, defs) {
    const xs = categories.map((_, i) => i);
    const n = defs.length;
    const series = [{ label: 'model', value: (u, i) => (i == null ? '–' : categories[i]) }];
    defs.forEach((d, i) => {
      series.push({ label: d.label, fill: d.color, stroke: d.color, points: { show: false },
        paths: uPlot.paths.bars({ size: [0.7 / n, 80], align: n === 1 ? 0 : i === 0 ? 1 : -1 }),
        value: (u, v) => d.format(v) });
    });
    const opts = {
      series,
      scales: { x: { time: false, range: () => [-0.5, categories.length - 0.5] } },
      axes: [{ splits: () => xs, values: (u, splits) => splits.map((i) => categories[i] ?? ''),
        rotate: -20, size: 80 }, { size: 60, values: fmtAxis }],
    };
    replaceChart(name, el, opts, [xs, ...defs.map((d) => d.values)]);
    if (dash.charts[name]) dash.charts[name].categories = categories;
  }

  // ---- views ------------------------------------------------------------------------------
  function renderLatency(res) {
    const groups = res.groups;
    for (const q of QUANTILES) {
      const name = 'p' + Math.round(Number(q) * 100);
      timeChart(name, $('chart-' + name), groups, (b) => b.quantiles[q], ' ms');
    }
    const tbody = $('latency-table').tBodies[0];
    tbody.replaceChildren();
    for (const g of groups) {
      const tr = tbody.insertRow();
      cell(tr, keyLabel(g.key));
      cell(tr, fmtInt(g.count));
      cell(tr, fmtInt(g.error_count));
      for (const q of QUANTILES) cell(tr, fmtMs(g.quantiles[q]));
      cell(tr, fmtMs(g.max_ms));
    }
    $('latency-range').textContent =
      `${toInput(state.from)}Z – ${toInput(state.to)}Z, ${state.step} buckets`;
  }

  function renderCost(res) {
    const groups = res.groups;
    const models = groups.map((g) => keyLabel(g.key));
    barChart('costByModel', $('chart-cost-model'), models, [
      { label: 'cost USD', values: groups.map((g) => g.cost_usd), color: '#16a34a', format: fmtUsd },
    ]);
    barChart('tokensByModel', $('chart-tokens-model'), models, [
      { label: 'prompt tokens', values: groups.map((g) => g.prompt_tokens), color: '#2563eb',
        format: fmtInt },
      { label: 'completion tokens', values: groups.map((g) => g.completion_tokens),
        color: '#f59e0b', format: fmtInt },
    ]);
    const buckets = res.total.buckets || [];
    const xs = buckets.map((b) => toSeconds(b.start));
    replaceChart('costOverTime', $('chart-cost-time'), {
      series: [{}, { label: 'cost USD', stroke: '#16a34a', width: 1.5, scale: 'usd',
        value: (u, v) => fmtUsd(v) },
      { label: 'tokens', stroke: '#2563eb', width: 1.5, scale: 'tokens',
        value: (u, v) => fmtInt(v) }],
      tzDate: utcDate,
      axes: [{}, { scale: 'usd', size: 60, label: 'USD', values: fmtAxis },
        { scale: 'tokens', side: 1, size: 60, label: 'tokens', values: fmtAxis,
          grid: { show: false } }],
    }, [xs, buckets.map((b) => b.cost_usd), buckets.map((b) => b.total_tokens)]);
    const t = res.total;
    $('cost-total').textContent = `$${fmtUsd(t.cost_usd)} · ${fmtInt(t.total_tokens)} tokens · ` +
      `${fmtInt(t.spans)} spans · ${fmtInt(t.unpriced_spans)} unpriced`;
  }

  function renderSessions(res) {
    const tbody = $('sessions-table').tBodies[0];
    tbody.replaceChildren();
    for (const s of res.sessions) {
      const tr = tbody.insertRow();
      tr.dataset.session = s.session_id;
      if (dash.session && dash.session.id === s.session_id) tr.classList.add('selected');
      cell(tr, fmtTime(s.last_start));
      cell(tr, s.session_id);
      cell(tr, fmtInt(s.trace_count));
      cell(tr, fmtInt(s.span_count));
      cell(tr, fmtInt(s.total_tokens));
      cell(tr, fmtUsd(s.cost_usd));
      cell(tr, fmtInt(s.error_count), s.error_count > 0 ? 'error' : '');
      cell(tr, fmtMs(s.p50_ms));
      tr.onclick = () => openSession(s.session_id);
    }
    if (res.sessions.length === 0) {
      const tr = tbody.insertRow();
      cell(tr, 'no sessions in this range').colSpan = 8;
    }
  }

  function renderReplication(r) {
    const badge = $('replication');
    const pending = `${fmtInt(r.pending_spans)} pending`;
    const text = { disabled: 'replication off', ok: `replicated · ${pending}`,
      retrying: `replication retrying · ${pending}`,
      auth_failed: `Phoenix auth failed · ${pending}` };
    badge.className = 'badge ' + r.state;
    badge.textContent = text[r.state] || r.state;
    badge.title = r.last_error ? 'last error: ' + r.last_error : 'replication to Phoenix';
  }

  let lastIngest = null;  // {spans, at} of the previous /metrics read
  function renderIngestRate(metricsText) {
    const m = /^roost_ingest_spans_total\{outcome="stored"\} (\d+)/m.exec(metricsText);
    if (!m) return;
    const now = { spans: Number(m[1]), at: performance.now() };
    if (lastIngest && now.at > lastIngest.at) {
      const rate = ((now.spans - lastIngest.spans) * 1000) / (now.at - lastIngest.at);
      $('ingest-rate').textContent = `ingest ${fmtInt(rate)} spans/s`;
    } else {
      $('ingest-rate').textContent = 'ingest – spans/s';
    }
    $('ingest-rate').title = `${fmtInt(now.spans)} spans stored since the server started`;
    lastIngest = now;
  }

  // ---- session drill-down -------------------------------------------------------------------
  // Spans of one trace in tree order (parents before children, siblings by start), with depth.
  function treeOrder(spans) {
    const ids = new Set(spans.map((s) => s.span_id));
    const children = new Map();
    const roots = [];
    for (const s of spans) {
      if (s.parent_span_id && ids.has(s.parent_span_id)) {
        if (!children.has(s.parent_span_id)) children.set(s.parent_span_id, []);
        children.get(s.parent_span_id).push(s);
      } else {
        roots.push(s);
      }
    }
    const out = [];
    const stack = roots.reverse().map((s) => [s, 0]);
    while (stack.length) {
      const [s, depth] = stack.pop();
      out.push([s, depth]);
      const kids = children.get(s.span_id) || [];
      for (let i = kids.length - 1; i >= 0; --i) stack.push([kids[i], depth + 1]);
    }
    return out;
  }

  function waterfallRow(span, depth, t0, total) {
    const row = document.createElement('div');
    row.className = `waterfall-row ${span.kind}${span.status === 'ERROR' ? ' error' : ''}`;
    const name = document.createElement('div');
    name.className = 'name';
    name.style.paddingLeft = `${depth * 14}px`;
    name.textContent = `${span.name} (${span.kind})`;
    name.title = span.model ? `${span.name} · ${span.model}` : span.name;
    const track = document.createElement('div');
    track.className = 'track';
    const bar = document.createElement('div');
    bar.className = 'bar';
    const start = Date.parse(span.start_time) - t0;
    bar.style.left = `${(100 * start) / total}%`;
    bar.style.width = `${(100 * span.duration_ms) / total}%`;
    track.appendChild(bar);
    const figures = document.createElement('div');
    figures.className = 'figures';
    const tokens = span.total_tokens ? ` · ${fmtInt(span.total_tokens)} tok` : '';
    figures.textContent = `${fmtMs(span.duration_ms)} ms${tokens}`;
    row.append(name, track, figures);
    return row;
  }

  function renderWaterfall(res) {
    const byTrace = new Map();
    for (const s of res.spans) {
      if (!byTrace.has(s.trace_id)) byTrace.set(s.trace_id, []);
      byTrace.get(s.trace_id).push(s);
    }
    const box = $('waterfall');
    box.replaceChildren();
    for (const [traceId, spans] of byTrace) {
      const t0 = Math.min(...spans.map((s) => Date.parse(s.start_time)));
      const t1 = Math.max(...spans.map((s) => Date.parse(s.start_time) + s.duration_ms));
      const total = Math.max(t1 - t0, 1);
      const div = document.createElement('div');
      div.className = 'trace';
      const h = document.createElement('h3');
      h.textContent = `trace ${traceId} · ${fmtTime(spans[0].start_time)} · ${fmtMs(total)} ms`;
      div.appendChild(h);
      for (const [s, depth] of treeOrder(spans)) div.appendChild(waterfallRow(s, depth, t0, total));
      box.appendChild(div);
    }
  }

  async function openSession(id) {
    try {
      const res = await api('/api/v1/sessions/' + encodeURIComponent(id), { project: state.project });
      dash.session = { id, spans: res.spans.length };
      $('session-id').textContent = id;
      renderWaterfall(res);
      $('session-detail').hidden = false;
      for (const tr of $('sessions-table').tBodies[0].rows) {
        tr.classList.toggle('selected', tr.dataset.session === id);
      }
      $('session-detail').scrollIntoView({ block: 'nearest' });
    } catch (e) {
      showError(e.message);
    }
  }

  // ---- refresh ------------------------------------------------------------------------------
  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  async function loadProjects() {
    const res = await api('/api/v1/projects');
    const names = res.projects.map((p) => p.name);
    const select = $('project');
    const current = state.project || (names.includes('default') ? 'default' : names[0] || '');
    select.replaceChildren(...names.map((n) => new Option(n, n, false, n === current)));
    state.project = names.includes(current) ? current : names[0] || '';
  }

  let inflight = null;  // the running refresh
  let again = false;  // the state changed while one ran: refresh once more when it ends
  async function refreshOnce() {
    await loadProjects();
    computeRange();
    const errors = [];
    const run = async (what, fn) => {
      try {
        await fn();
      } catch (e) {
        errors.push(`${what}: ${e.message}`);
      }
    };
    const range = { project: state.project, from: state.from, to: state.to };
    const filters = { ...range, kind: state.kind, step: state.step };
    const tasks = [
      run('replication', async () => renderReplication(await api('/api/v1/replication'))),
      run('ingest rate', async () => renderIngestRate(await api('/metrics'))),
    ];
    if (state.project) {
      tasks.push(
        run('latency', async () => renderLatency(await api('/api/v1/latency',
          { ...filters, group_by: 'model', q: QUANTILES.join(',') }))),
        run('cost', async () => renderCost(await api('/api/v1/cost',
          { ...filters, group_by: 'model' }))),
        run('sessions', async () => renderSessions(await api('/api/v1/sessions',
          { ...range, limit: 50 }))));
    } else {
      errors.push('no spans stored yet: send traces to POST /v1/traces');
    }
    await Promise.all(tasks);
    dash.lastError = errors.length ? errors.join('; ') : null;
    showError(dash.lastError || '');
    $('updated').textContent = 'updated ' + new Date().toISOString().slice(11, 19) + 'Z';
    dash.refreshCount += 1;
  }

  function refresh() {
    if (inflight) {
      again = true;
      return inflight;
    }
    dash.busy = true;
    inflight = refreshOnce()
      .catch((e) => showError(e.message))
      .finally(() => {
        inflight = null;
        dash.busy = again;
        if (again) {
          again = false;
          refresh();
        }
      });
    return inflight;
  }

  dash.refresh = refresh;

  async function start() {
    const health = await fetch('/healthz').then((r) => r.json()).catch(() => ({}));
    if (health.api_key_required && !sessionStorage.getItem(KEY_STORAGE)) await askForKey();
    for (const b of document.querySelectorAll('#ranges button')) {
      b.onclick = () => selectRange(b.dataset.range);
    }
    $('custom-range').onsubmit = applyCustom;
    $('project').onchange = (e) => { state.project = e.target.value; refresh(); };
    $('kind').onchange = (e) => { state.kind = e.target.value; refresh(); };
    $('session-close').onclick = () => { $('session-detail').hidden = true; dash.session = null; };
    setInterval(() => {
      if ($('auto-refresh').checked && !document.hidden) refresh();
    }, REFRESH_MS);
    await refresh();
  }

  start();
})();
