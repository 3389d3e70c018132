// Times the query benchmark's questions on the same spans in roost (its HTTP API), DuckDB and
// SQLite (a Phoenix-like spans table: attributes as nested JSON, latency from the start and end
// timestamps, as Phoenix's embedded default keeps them), so the ratios are measured in one run.
//
//   node bench/compare/compare.mjs --csv spans.csv [--roost http://127.0.0.1:6006]
//        [--sqlite-rows 1000000] [--runs 5] [--threads 2]
//
// spans.csv comes from `roost export --format csv` (its integer start_unix_nano/end_unix_nano
// columns give the timestamps; DuckDB and SQLite keep microseconds). Every engine answers each question once to
// warm up, then `runs` times; the median wall time is printed (ms) with the answer's row count,
// and each engine's first answer row so a reader can check that they agree.

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';

const { values: args } = parseArgs({
  options: {
    csv: { type: 'string' },
    roost: { type: 'string' },
    'roost-project': { type: 'string', default: 'default' },
    'sqlite-rows': { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
  },
});
if (!args.csv) {
  console.error('usage: compare.mjs --csv spans.csv [--roost URL] [--sqlite-rows N] [--runs N]');
  process.exit(2);
}
const runs = Number(args.runs);
const sqliteRows = Number(args['sqlite-rows']);
if (!(runs > 0) || !(sqliteRows > 0)) {
  console.error('compare.mjs: --runs and --sqlite-rows must be positive numbers');
  process.exit(2);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Runs `fn` once to warm up and `runs` more times; returns {ms, rows, first}.
async function time(fn) {
  let answer = await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    answer = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), rows: answer.length, first: answer[0] };
}

const results = [];
function report(engine, question, r, note = '') {
  results.push({ engine, question, ms: r.ms, rows: r.rows, note });
  console.log(
    `${engine.padEnd(8)} ${question.padEnd(34)} ${r.ms.toFixed(1).padStart(9)} ms  ` +
      `${String(r.rows).padStart(6)} rows  ${note}  first: ${JSON.stringify(r.first, (k, v) =>
        typeof v === 'bigint' ? Number(v) : v)?.slice(0, 240) ?? '(no rows)'}`,
  );
}

// ---------------------------------------------------------------- DuckDB
const duck = await DuckDBInstance.create(':memory:', { threads: args.threads });
const dc = await duck.connect();
let t0 = performance.now();
await dc.run(`
  CREATE TABLE spans AS
  SELECT trace_id, span_id, parent_span_id, name, kind, status,
         make_timestamp(start_unix_nano // 1000) AS start_time,
         make_timestamp(end_unix_nano // 1000) AS end_time,
         duration_ms, project, session_id, model, prompt_tokens, completion_tokens, total_tokens,
         cost_usd
  FROM read_csv('${args.csv.replaceAll("'", "''")}', header = true, auto_detect = true,
                all_varchar = false, max_line_size = 16777216)`);
const total = (await dc.runAndReadAll('SELECT count(*) AS n FROM spans')).getRowObjectsJson()[0].n;
console.log(`duckdb: loaded ${total} spans in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const session = (
  await dc.runAndReadAll(
    `SELECT session_id FROM spans WHERE session_id IS NOT NULL AND session_id <> ''
     GROUP BY session_id ORDER BY count(*) DESC, session_id LIMIT 1`,
  )
).getRowObjectsJson()[0]?.session_id;

const duckQuestions = {
  'p50/p90/p99 LLM by model': `
    SELECT model, quantile_cont(duration_ms, [0.5, 0.9, 0.99]) AS q, count(*) AS n
    FROM spans WHERE kind = 'LLM' GROUP BY model ORDER BY model`,
  'p99 LLM by model per hour': `
    SELECT model, date_trunc('hour', start_time) AS hour, quantile_cont(duration_ms, 0.99) AS p99
    FROM spans WHERE kind = 'LLM' GROUP BY ALL ORDER BY ALL`,
  'tokens and cost by model': `
    SELECT model, count(*) AS spans, sum(prompt_tokens) AS prompt,
           sum(completion_tokens) AS completion, sum(total_tokens) AS total, sum(cost_usd) AS cost
    FROM spans GROUP BY model ORDER BY model`,
  "one session's spans": `
    SELECT * FROM spans WHERE session_id = '${session}' ORDER BY start_time`,
};
for (const [q, sql] of Object.entries(duckQuestions)) {
  report('duckdb', q, await time(async () => (await dc.runAndReadAll(sql)).getRowObjectsJson()),
         `${total} spans`);
}

// ---------------------------------------------------------------- SQLite, Phoenix-like
const db = new Database(':memory:');
db.exec(`
  CREATE TABLE spans (
    id INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL, span_id TEXT NOT NULL UNIQUE, parent_id TEXT,
    name TEXT NOT NULL, span_kind TEXT NOT NULL,
    start_time TEXT NOT NULL, end_time TEXT NOT NULL,
    attributes TEXT NOT NULL, status_code TEXT NOT NULL,
    llm_token_count_prompt INTEGER, llm_token_count_completion INTEGER);
  CREATE INDEX ix_spans_start_time ON spans (start_time);
  CREATE INDEX ix_spans_trace_id ON spans (trace_id);
  CREATE INDEX ix_spans_parent_id ON spans (parent_id);`);
t0 = performance.now();
const insert = db.prepare(`INSERT INTO spans (trace_id, span_id, parent_id, name, span_kind,
  start_time, end_time, attributes, status_code, llm_token_count_prompt, llm_token_count_completion)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
const pageRows = 50000;
for (let offset = 0; offset < Math.min(sqliteRows, Number(total)); offset += pageRows) {
  const page = (
    await dc.runAndReadAll(`
      SELECT trace_id, span_id, parent_span_id, name, kind, status,
             strftime(start_time, '%Y-%m-%dT%H:%M:%S.%f') AS start_time,
             strftime(end_time, '%Y-%m-%dT%H:%M:%S.%f') AS end_time,
             model, session_id, prompt_tokens, completion_tokens, total_tokens, cost_usd
      FROM spans ORDER BY start_time, span_id LIMIT ${Math.min(pageRows, sqliteRows - offset)}
      OFFSET ${offset}`)
  ).getRowObjectsJson();
  db.transaction(() => {
    for (const r of page) {
      // Phoenix keeps OpenInference attributes as nested JSON ("llm": {"model_name": ...}).
      const attributes = {
        openinference: { span: { kind: r.kind } },
        session: r.session_id ? { id: r.session_id } : undefined,
        llm: r.model
          ? {
              model_name: r.model,
              token_count: {
                prompt: Number(r.prompt_tokens), completion: Number(r.completion_tokens),
                total: Number(r.total_tokens),
              },
              cost: r.cost_usd == null ? undefined : { total: Number(r.cost_usd) },
            }
          : undefined,
      };
      insert.run(r.trace_id, r.span_id, r.parent_span_id || null, r.name, r.kind, r.start_time,
                 r.end_time, JSON.stringify(attributes), r.status,
                 Number(r.prompt_tokens) || null, Number(r.completion_tokens) || null);
    }
  })();
}
const sqliteTotal = db.prepare('SELECT count(*) AS n FROM spans').get().n;
console.log(`sqlite: loaded ${sqliteTotal} spans in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Percentiles as a SQL user of SQLite writes them: rank rows per group with window functions
// and interpolate between the two closest ranks (numpy's linear method).
const latency = `(julianday(end_time) - julianday(start_time)) * 86400000.0`;
const sqliteQuantile = (q) => `
  max(CASE WHEN rn = 1 + CAST((n - 1) * ${q} AS INTEGER) THEN ms END) +
  ((n - 1) * ${q} - CAST((n - 1) * ${q} AS INTEGER)) *
  (max(CASE WHEN rn = MIN(n, 2 + CAST((n - 1) * ${q} AS INTEGER)) THEN ms END) -
   max(CASE WHEN rn = 1 + CAST((n - 1) * ${q} AS INTEGER) THEN ms END))`;
const ranked = (partition) => `
  SELECT *, row_number() OVER (PARTITION BY ${partition} ORDER BY ms) AS rn,
         count(*) OVER (PARTITION BY ${partition}) AS n
  FROM (SELECT json_extract(attributes, '$.llm.model_name') AS model,
               substr(start_time, 1, 13) AS hour, ${latency} AS ms
        FROM spans WHERE span_kind = 'LLM')`;
const sqliteQuestions = {
  'p50/p90/p99 LLM by model': `
    SELECT model, ${sqliteQuantile(0.5)} AS p50, ${sqliteQuantile(0.9)} AS p90,
           ${sqliteQuantile(0.99)} AS p99, n
    FROM (${ranked('model')}) GROUP BY model ORDER BY model`,
  'p99 LLM by model per hour': `
    SELECT model, hour, ${sqliteQuantile(0.99)} AS p99
    FROM (${ranked('model, hour')}) GROUP BY model, hour ORDER BY model, hour`,
  'tokens and cost by model': `
    SELECT json_extract(attributes, '$.llm.model_name') AS model, count(*) AS spans,
           sum(llm_token_count_prompt) AS prompt, sum(llm_token_count_completion) AS completion,
           sum(json_extract(attributes, '$.llm.cost.total')) AS cost
    FROM spans GROUP BY 1 ORDER BY 1`,
  // The busiest session among the rows SQLite holds (it may hold only the first N spans).
  "one session's spans": `
    SELECT * FROM spans WHERE json_extract(attributes, '$.session.id') = '${
      db.prepare(`SELECT json_extract(attributes, '$.session.id') AS s FROM spans
                  WHERE s IS NOT NULL GROUP BY s ORDER BY count(*) DESC, s LIMIT 1`).get()?.s}'
    ORDER BY start_time`,
};
for (const [q, sql] of Object.entries(sqliteQuestions)) {
  const stmt = db.prepare(sql);
  report('sqlite', q, await time(async () => stmt.all()), `${sqliteTotal} spans`);
}

// ---------------------------------------------------------------- roost, through HTTP
if (args.roost) {
  const p = encodeURIComponent(args['roost-project']);
  const roostQuestions = {
    'p50/p90/p99 LLM by model': `/api/v1/latency?project=${p}&kind=LLM&group_by=model`,
    'p50/p90/p99 LLM by model (approx)': `/api/v1/latency?project=${p}&kind=LLM&group_by=model&approx=true`,
    'p99 LLM by model per hour': `/api/v1/latency?project=${p}&kind=LLM&group_by=model&q=0.99&step=1h`,
    'tokens and cost by model': `/api/v1/cost?project=${p}&group_by=model`,
    "one session's spans": `/api/v1/sessions/${encodeURIComponent(session)}?project=${p}`,
  };
  for (const [q, path] of Object.entries(roostQuestions)) {
    report('roost', q, await time(async () => {
      const res = await fetch(args.roost + path);
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      const body = await res.json();
      return body.groups ?? body.spans ?? [];
    }), `${total} spans`);
  }
}
